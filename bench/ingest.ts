/**
 * End-to-end local ingest: a generated `gcloud logging read --format=json` export into a fresh
 * DuckDB file through the built command (`gca-analytics ingest FILE --json`), in a child process
 * so its peak RSS is its own. Then the same for twice the entries: memory must not grow with the input. Recompute is timed separately
 * (`gca-analytics recompute`), so the headline is ingest.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleFile } from '../cli/sample/generate';
import { runCli, type ChildRun } from './child';
import type { BenchOptions, BenchResult } from './types';

const FULL_ENTRIES = 200_000;
const QUICK_ENTRIES = 5_000;

interface Measured {
  entries: number;
  fileBytes: number;
  ingest: ChildRun;
  recompute: ChildRun;
}

async function ingestOnce(
  mainJs: string,
  file: string,
  db: string,
  entries: number,
): Promise<ChildRun> {
  rmSync(db, { force: true });
  const run = await runCli(mainJs, ['ingest', file, '--db', db, '--json', '--no-recompute']);
  const counts = JSON.parse(run.stdout) as { read: number };
  if (counts.read !== entries) throw new Error(`read ${counts.read} of ${entries} entries`);
  return run;
}

/** Ingest and recompute of `entries` generated entries. */
async function measure(mainJs: string, dir: string, entries: number): Promise<Measured> {
  const file = join(dir, `export-${entries}.json`);
  const db = join(dir, `bench-${entries}.duckdb`);
  await writeSampleFile(file, { seed: 20251008, entries, users: 200, days: 28 });
  const fileBytes = statSync(file).size;
  const ingest = await ingestOnce(mainJs, file, db, entries);
  rmSync(file, { force: true });
  const recompute = await runCli(mainJs, ['recompute', '--db', db]);
  return { entries, fileBytes, ingest, recompute };
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const mainJs = join(__dirname, '..', 'cli', 'main.js');
  if (!existsSync(mainJs)) throw new Error(`${mainJs} not found: run \`npm run build\` first`);
  const n = opts.quick ? QUICK_ENTRIES : FULL_ENTRIES;
  const dir = mkdtempSync(join(tmpdir(), 'gca-bench-ingest-'));
  try {
    const one = await measure(mainJs, dir, n);
    const two = await measure(mainJs, dir, 2 * n);
    const rate = (m: Measured) => m.entries / m.ingest.seconds;
    const line = (m: Measured) =>
      `${m.entries.toLocaleString('en')} entries (${mib(m.fileBytes)} file): ingest ` +
      `${m.ingest.seconds.toFixed(1)} s = ${Math.round(rate(m)).toLocaleString('en')} entries/s ` +
      `(CPU ${m.ingest.cpuSeconds.toFixed(1)} s), ` +
      `peak RSS ${mib(m.ingest.peakRssBytes)}; recompute ${m.recompute.seconds.toFixed(1)} s, ` +
      `peak RSS ${mib(m.recompute.peakRssBytes)}`;
    return {
      figures: {
        'ingest.entriesPerSecond': Math.round(rate(one)),
        'ingest.peakRssBytes': one.ingest.peakRssBytes,
        'ingest.peakRssBytes2x': two.ingest.peakRssBytes,
        'ingest.entriesPerSecond2x': Math.round(rate(two)),
        'ingest.cpuSeconds': Number(one.ingest.cpuSeconds.toFixed(2)),
        'ingest.recomputeSeconds': Number(one.recompute.seconds.toFixed(2)),
      },
      lines: [
        line(one),
        line(two),
        `peak RSS 2x / 1x: ${(two.ingest.peakRssBytes / one.ingest.peakRssBytes).toFixed(2)} ` +
          '(memory must not grow with the input)',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
