/**
 * `gca-analytics ingest FILE...`: reads exports (`gcloud logging read --format=json` arrays or
 * JSON Lines; `-` is stdin) into the local warehouse, recomputes, and prints the counts.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { CONTENT_MODES, DEFAULT_CONTENT_MODE, type ContentMode } from '../../shared/content/mode';
import type { IngestCounts } from '../../shared/normalize/outcome';
import { toMicrosIso } from '../../shared/normalize/time';
import { ingestRecords, type RawRecord } from '../../shared/pipeline/ingest';
import { readExport, splitExport } from '../../shared/readers/export-reader';
import {
  addDbOption,
  CliError,
  resolveDbPath,
  resolvePath,
  type CliContext,
  type LocalDeps,
} from '../context';
import { addPseudonymizeKeyOption, pseudonymizeKeyFrom, type KeyFlags } from './erase-user';
import {
  contextOf,
  defaultWorkerCount,
  ingestInWorkers,
  type WorkerSetup,
} from '../parallel-ingest';
import { NO_PROGRESS, startProgress, type Progress } from '../progress';
import { recomputeLocal, describeRecompute } from '../recompute-local';
import { formatCount } from '../../shared/report/format';

/**
 * Rows per warehouse write. Larger than the pipeline's default (BigQuery's insertAll limit):
 * each DuckDB insert is one transaction and one anti-join against stored keys, so a few thousand
 * rows amortize that. The pipeline holds two batches (one being written, the next being
 * normalized), so memory is bounded by twice this, not the file. Measured on 200k/400k entries:
 * 5,000 costs the same CPU as 10,000 and peaks ~100 MiB lower; 20,000 peaks ~150 MiB higher.
 */
export const LOCAL_BATCH_SIZE = 5_000;

/**
 * Records per batch when worker threads prepare them: up to two batches per worker are in
 * flight, so smaller ones keep memory down. Measured on 200k entries with 2 workers: the same
 * wall time as 5,000 (within noise, 4 runs each) and ~130 MiB less peak RSS.
 */
export const WORKER_BATCH_SIZE = 2_000;

/**
 * Rows per DuckDB transaction when the command writes (see `bulkCommitRows` in
 * shared/warehouse/duckdb.ts): enough that each raw table gets whole row groups written straight
 * to the file, bypassing the WAL. Measured on 200k entries: ~12% less CPU, ~20% less wall
 * time and ~80 MiB less peak RSS than a transaction per 5,000-row write. An interrupted ingest
 * loses at most this many rows, which re-running the command (idempotent) writes again.
 */
export const BULK_COMMIT_ROWS = 100_000;

/**
 * Files smaller than this (about 12k entries) are prepared in process: starting the worker
 * threads (~0.2 s) costs more than they save on them. Standard input, of unknown size, and
 * larger files use the workers.
 */
export const WORKERS_MIN_BYTES = 16 * 1024 * 1024;

interface IngestFlags extends KeyFlags {
  batchSize?: string;
  workers?: string;
  db?: string;
  json?: boolean;
  contentMode: ContentMode;
  recompute: boolean;
}

/** An input: a file path (resolved) or stdin. */
type Input = { kind: 'file'; path: string; given: string; size: number } | { kind: 'stdin' };

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Checks every input before anything is written, so a typo fails fast and changes nothing. */
export async function checkInputs(ctx: CliContext, files: string[]): Promise<Input[]> {
  const inputs: Input[] = [];
  let stdin = false;
  for (const given of files) {
    if (given === '-') {
      if (stdin) throw new CliError('stdin (-) can be given only once');
      stdin = true;
      inputs.push({ kind: 'stdin' });
      continue;
    }
    const path = resolvePath(ctx, given);
    try {
      const info = await stat(path);
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      await access(path, constants.R_OK);
      inputs.push({ kind: 'file', path, given, size: info.size });
    } catch (err) {
      throw new CliError(`cannot read ${given}: ${reasonOf(err)}`);
    }
  }
  return inputs;
}

function addCounts(a: IngestCounts, b: IngestCounts): IngestCounts {
  return {
    read: a.read + b.read,
    normalized: a.normalized + b.normalized,
    duplicates: a.duplicates + b.duplicates,
    quarantined: a.quarantined + b.quarantined,
    skipped: a.skipped + b.skipped,
  };
}

/** Ingests the inputs into an open warehouse; returns the summed counts. */
export async function ingestInputs(
  ctx: CliContext,
  deps: LocalDeps,
  inputs: Input[],
  opts: {
    contentMode: ContentMode;
    json: boolean;
    batchSize?: number;
    pseudonymizeKey?: string | null;
    /**
     * Worker threads preparing batches; 0 prepares them in process. Default: one per core (see
     * defaultWorkerCount) for standard input and files of WORKERS_MIN_BYTES or more.
     */
    workers?: number;
  },
): Promise<IngestCounts> {
  let total: IngestCounts = { read: 0, normalized: 0, duplicates: 0, quarantined: 0, skipped: 0 };
  const ingestTime = toMicrosIso(ctx.now());
  const pseudonymizeKey = opts.pseudonymizeKey ?? null;
  const setup: WorkerSetup = { ingestTime, contentMode: opts.contentMode, pseudonymizeKey };
  const context = contextOf(setup);
  const script = ctx.ingestWorkerScript;
  // Workers as asked; by default one per core, for inputs large enough to gain from them.
  const workersFor = (input: Input): number => {
    if (opts.workers !== undefined) return opts.workers;
    const large = input.kind === 'stdin' || input.size >= WORKERS_MIN_BYTES;
    return large ? defaultWorkerCount() : 0;
  };
  const ingest = (records: AsyncIterable<RawRecord>, workers: number): Promise<IngestCounts> =>
    script !== null && workers > 0
      ? ingestInWorkers(records, deps.warehouse, {
          setup,
          batchSize: opts.batchSize ?? WORKER_BATCH_SIZE,
          workers,
          script,
        })
      : ingestRecords(records, deps.warehouse, {
          context,
          batchSize: opts.batchSize ?? LOCAL_BATCH_SIZE,
        });
  for (const input of inputs) {
    let records: AsyncIterable<RawRecord>;
    let progress: Progress = NO_PROGRESS;
    if (input.kind === 'stdin') {
      records = splitExport(ctx.io.stdin as AsyncIterable<Uint8Array>, 'stdin');
    } else {
      progress = startProgress(ctx.io, basename(input.path), input.size, opts);
      records = readExport(input.path, {
        name: basename(input.path),
        onProgress: (read, size) => progress.update(read, size),
      });
    }
    try {
      total = addCounts(total, await ingest(records, workersFor(input)));
    } catch (err) {
      const where = input.kind === 'stdin' ? 'stdin' : input.given;
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code && /^E[A-Z]+$/.test(code))
        throw new CliError(`cannot read ${where}: ${reasonOf(err)}`);
      throw err;
    } finally {
      progress.stop();
    }
  }
  return total;
}

/** An integer flag of at least `min`, or a usage error naming it. */
function countFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(
      `${name} must be a whole number of at least ${min}, not ${JSON.stringify(value)}`,
      2,
    );
  }
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ingest')
    .summary('Load log exports (JSON array or JSON Lines; - for stdin), then recompute')
    .description(
      'Read Cloud Logging exports (gcloud logging read --format=json arrays, or JSON Lines; - for stdin) into the local warehouse, then recompute the figures',
    )
    .argument('<file...>', 'export files; - reads stdin');
  addPseudonymizeKeyOption(addDbOption(cmd))
    .option(
      '--json',
      'print exactly one JSON object {"read","normalized","duplicates","quarantined","skipped"}',
    )
    .addOption(
      new Option('--content-mode <mode>', 'what of prompts and responses is stored')
        .choices(CONTENT_MODES)
        .default(DEFAULT_CONTENT_MODE),
    )
    .option('--no-recompute', 'only load the raw tables; run `recompute` later')
    .addOption(new Option('--batch-size <rows>', 'records per warehouse write').hideHelp())
    .addOption(new Option('--workers <n>', 'threads preparing batches (0: in process)').hideHelp())
    .addHelpText(
      'after',
      '\nExit status 0 when the input was processed, even if some entries were quarantined;\n' +
        'non-zero with a one-line error when a file is missing or unreadable.\n',
    )
    .action(async (files: string[], flags: IngestFlags) => {
      const inputs = await checkInputs(ctx, files);
      const json = flags.json === true;
      const pseudonymizeKey = await pseudonymizeKeyFrom(ctx, flags);
      const batchSize = countFlag('--batch-size', flags.batchSize, 1);
      const workers = countFlag('--workers', flags.workers, 0);
      const deps = await ctx.openLocal(resolveDbPath(ctx, flags.db));
      try {
        const counts = await ingestInputs(ctx, deps, inputs, {
          contentMode: flags.contentMode,
          json,
          pseudonymizeKey,
          ...(batchSize !== undefined ? { batchSize } : {}),
          ...(workers !== undefined ? { workers } : {}),
        });
        const recompute = flags.recompute ? await recomputeLocal(ctx, deps, { full: false }) : null;
        if (json) {
          const { read, normalized, duplicates, quarantined, skipped } = counts;
          ctx.out(JSON.stringify({ read, normalized, duplicates, quarantined, skipped }));
          return;
        }
        ctx.out(
          `Read ${formatCount(counts.read)} entries: ${formatCount(counts.normalized)} stored, ` +
            `${formatCount(counts.duplicates)} duplicates, ${formatCount(counts.quarantined)} quarantined, ` +
            `${formatCount(counts.skipped)} skipped (other resource types).`,
        );
        if (recompute) ctx.out(describeRecompute(recompute));
        ctx.out(`Warehouse: ${deps.dbPath}`);
        if (counts.quarantined > 0) {
          ctx.out('Quarantined entries are in gca_raw.quarantine with their reason.');
        }
      } finally {
        await deps.close();
      }
    });
}
