import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateViewFiles, VIEWS_DIR, type GeneratedFile } from './generate';

/**
 * Writes the generated view files under `root` and removes generated views that no longer have a
 * table (a view file in VIEWS_DIR is always generated). Returns the paths written.
 */
export function writeViewFiles(
  root: string,
  files: readonly GeneratedFile[] = generateViewFiles(),
): string[] {
  const dir = join(root, VIEWS_DIR);
  mkdirSync(dir, { recursive: true });
  const keep = new Set(files.map((f) => resolve(root, f.path)));
  for (const name of readdirSync(dir)) {
    const path = resolve(dir, name);
    if (name.endsWith('.view.lkml') && !keep.has(path)) rmSync(path);
  }
  for (const f of files) {
    const path = resolve(root, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
  return files.map((f) => f.path);
}

// `npm run looker` runs this from the repository root after the build.
if (require.main === module) {
  for (const path of writeViewFiles(process.cwd())) console.log(`wrote ${path}`);
}
