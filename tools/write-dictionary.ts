/**
 * `npm run docs`: writes docs/data-dictionary.md from the table registry. A test fails when the
 * committed file differs from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderDataDictionary } from '../shared/tables/render';

/** Path of the dictionary, relative to the repository root. */
export const DATA_DICTIONARY_PATH = 'docs/data-dictionary.md';

/** Writes the dictionary under `root` (default: the current directory, the repository root under npm). */
export function writeDataDictionary(root: string = process.cwd()): string {
  const target = resolve(root, DATA_DICTIONARY_PATH);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, renderDataDictionary());
  return target;
}

if (require.main === module) {
  const target = writeDataDictionary();
  process.stdout.write(`wrote ${target}\n`);
}
