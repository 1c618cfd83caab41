/**
 * The ingest worker (cli/ingest-worker.ts) compiled from the sources under test, for tests of
 * the worker path: a Worker runs plain JavaScript, and jest's transform does not reach it.
 * Bundled once per test file with esbuild (~100 ms), into a temp directory removed by cleanup().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export interface BuiltWorker {
  script: string;
  cleanup(): void;
}

export function buildIngestWorker(): BuiltWorker {
  const dir = mkdtempSync(join(tmpdir(), 'gca-ingest-worker-'));
  const script = join(dir, 'ingest-worker.js');
  buildSync({
    entryPoints: [join(__dirname, '..', '..', 'cli', 'ingest-worker.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: script,
    logLevel: 'silent',
  });
  return { script, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
