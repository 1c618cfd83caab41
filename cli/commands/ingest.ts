/**
 * `gca-analytics ingest FILE...`: reads exports (`gcloud logging read --format=json` arrays,
 * JSON Lines, LogEntry objects one after another; gzipped or not; `-` is stdin) into the
 * warehouse (local, or where GCA_WAREHOUSE says), recomputes, and prints the counts. A file the
 * command cannot use (see checkUsable) fails the command instead of being reported as read.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { PRIVACY_ENV, RECOMPUTE_ENV, recomputeLookbackFor } from '../../shared/config';
import { CONTENT_MODES, type ContentMode } from '../../shared/content/mode';
import type { IngestCounts, NormalizeContext } from '../../shared/normalize/outcome';
import { toMicrosIso } from '../../shared/normalize/time';
import { DEFAULT_BATCH_SIZE, ingestRecords, type RawRecord } from '../../shared/pipeline/ingest';
import { readExport, splitExport, type ExportInspection } from '../../shared/readers/export-reader';
import {
  addDbOption,
  CliError,
  commandEnv,
  resolvePath,
  wholeNumberFlag,
  type CliContext,
  type CommandDeps,
} from '../context';
import { addPseudonymizeKeyOption, pseudonymizeKeyFrom, type KeyFlags } from '../pseudonymize-key';
import { checkUsable, screenRecords, type InputVerdict } from '../input-check';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { NO_PROGRESS, startProgress, type Progress } from '../progress';
import { recomputeLocal, describeRecompute } from '../recompute-local';
import { formatCount } from '../report/format';

/**
 * Rows per warehouse write. Larger than the pipeline's default (BigQuery's insertAll limit):
 * each DuckDB insert is one transaction and one anti-join against stored keys, so a few thousand
 * rows amortize that. The pipeline holds two batches (one being written, the next being
 * normalized), so memory is bounded by twice this, not the file. Measured on 200k/400k entries:
 * 5,000 costs the same CPU as 10,000 and peaks ~100 MiB lower; 20,000 peaks ~150 MiB higher.
 */
export const LOCAL_BATCH_SIZE = 5_000;

/**
 * ... or this many characters of entries, whichever comes first, so the two batches in memory
 * are bounded by size too: the benchmark's entries (1.4 KB) fill 5,000 rows first; 5,000
 * entries with 60 KB prompts would be 300 MB. An 8,000-entry export of such entries peaked at
 * 3.2 GB before this bound.
 */
export const LOCAL_BATCH_CHARS = 8 * 1024 * 1024;

interface IngestFlags extends KeyFlags {
  batchSize?: string;
  db?: string;
  json?: boolean;
  contentMode?: ContentMode;
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
      if (stdin) throw new CliError('stdin (-) can be given only once', 2);
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

/** What ingestInputs did: the summed counts, and the inputs it could not use. */
export interface IngestSummary extends IngestCounts {
  /** One line per input the command could not use (see checkUsable), in input order. */
  refused: string[];
}

/**
 * Ingests the inputs into an open warehouse; returns the summed counts and the inputs refused.
 * An input whose first records are unusable is refused before any of it is written; one that
 * turns out unusable further on has been written (quarantine rows, say) and is refused too.
 */
export async function ingestInputs(
  ctx: CliContext,
  deps: Pick<CommandDeps, 'warehouse' | 'duckdb'>,
  inputs: Input[],
  opts: {
    contentMode: ContentMode;
    json: boolean;
    batchSize?: number;
    pseudonymizeKey?: string | null;
    /** Receives the event days of the rows read (see IngestOptions.eventDays). */
    eventDays?: Set<string>;
  },
): Promise<IngestSummary> {
  let total: IngestCounts = { read: 0, normalized: 0, duplicates: 0, quarantined: 0, skipped: 0 };
  const refused: string[] = [];
  const ingestTime = toMicrosIso(ctx.now());
  const pseudonymizeKey = opts.pseudonymizeKey ?? null;
  // Batches are prepared in process while DuckDB writes the last one. Worker threads preparing
  // them were measured (50k and 200k entries, `taskset` 1 and 2 cores, alternating) and removed:
  // at most 1.08x wall on 2 cores, slower on a lighter machine, 60-100 MiB more peak RSS.
  const context: NormalizeContext = {
    ingestTime,
    contentMode: opts.contentMode,
    ...(pseudonymizeKey !== null ? { pseudonymizeUser: createPseudonymizer(pseudonymizeKey) } : {}),
  };
  // DuckDB amortizes a transaction and an anti-join over larger batches; BigQuery batches are
  // sized for insertAll.
  const batchSize =
    opts.batchSize ?? (deps.duckdb !== null ? LOCAL_BATCH_SIZE : DEFAULT_BATCH_SIZE);
  for (const input of inputs) {
    let records: AsyncIterable<RawRecord>;
    let progress: Progress = NO_PROGRESS;
    const inspection: ExportInspection = { format: null, compression: null, head: Buffer.alloc(0) };
    const where = input.kind === 'stdin' ? 'stdin' : input.given;
    if (input.kind === 'stdin') {
      records = splitExport(ctx.io.stdin as AsyncIterable<Uint8Array>, 'stdin', { inspection });
    } else {
      progress = startProgress(ctx.io, basename(input.path), input.size, opts);
      records = readExport(input.path, {
        name: basename(input.path),
        inspection,
        onProgress: (read, size) => progress.update(read, size),
      });
    }
    try {
      // The first records are looked at before anything is written: a file that is not an
      // export at all is refused without leaving a quarantine row per line of it.
      const screened = await screenRecords(records, context);
      let verdict: InputVerdict = checkUsable(screened.sample, inspection, false);
      if (verdict.usable) {
        const counts = await ingestRecords(screened.records, deps.warehouse, {
          context,
          batchSize,
          ...(deps.duckdb !== null ? { batchChars: LOCAL_BATCH_CHARS } : {}),
          ...(opts.eventDays ? { eventDays: opts.eventDays } : {}),
        });
        total = addCounts(total, counts);
        verdict = checkUsable(counts, inspection, true);
      }
      if (!verdict.usable) refused.push(`${where}: ${verdict.reason}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code && /^E[A-Z]+$/.test(code))
        throw new CliError(`cannot read ${where}: ${reasonOf(err)}`);
      if (code && code.startsWith('Z_')) {
        throw new CliError(
          `cannot read ${where}: its gzip data is damaged or cut short (${reasonOf(err)}); what came before was written`,
        );
      }
      throw err;
    } finally {
      progress.stop();
    }
  }
  return { ...total, refused };
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ingest')
    .summary(
      'Load log exports (JSON array, JSON Lines or objects; gzip; - for stdin), then recompute',
    )
    .description(
      'Read Cloud Logging exports (gcloud logging read --format=json arrays, JSON Lines, or LogEntry objects one after another; gzipped or not; - for stdin) into the warehouse (local, or where GCA_WAREHOUSE says), then recompute the figures',
    )
    .argument('<file...>', 'export files; - reads stdin');
  addPseudonymizeKeyOption(addDbOption(cmd))
    .option(
      '--json',
      'print exactly one JSON object {"read","normalized","duplicates","quarantined","skipped"}',
    )
    .addOption(
      new Option(
        '--content-mode <mode>',
        'what of prompts and responses is stored (default: $GCA_CONTENT_MODE, else scrubbed)',
      ).choices(CONTENT_MODES),
    )
    .option('--no-recompute', 'only load the raw tables; run `recompute` later')
    .addOption(new Option('--batch-size <rows>', 'records per warehouse write').hideHelp())
    .addHelpText(
      'after',
      '\nExit status 0 when every input was processed, even if some entries were quarantined.\n' +
        'Exit 1 with one line per file when a file is missing or unreadable, or when the command\n' +
        'cannot use it: no log entries in it, none of Gemini Code Assist, or more than half of its\n' +
        'records not log entries (a file whose first 1,000 records show this is refused before\n' +
        'any of it is written). Exit 2 for a usage error.\n',
    )
    .action(async (files: string[], flags: IngestFlags) => {
      const inputs = await checkInputs(ctx, files);
      const json = flags.json === true;
      const pseudonymizeKey = await pseudonymizeKeyFrom(ctx, flags);
      const batchSize = wholeNumberFlag('--batch-size', flags.batchSize, 1);
      const env = commandEnv(ctx, [PRIVACY_ENV, RECOMPUTE_ENV]);
      const deps = await ctx.open({ db: flags.db });
      try {
        const eventDays = new Set<string>();
        const counts = await ingestInputs(ctx, deps, inputs, {
          contentMode: flags.contentMode ?? env.contentMode,
          json,
          pseudonymizeKey,
          eventDays,
          ...(batchSize !== undefined ? { batchSize } : {}),
        });
        // Recompute whenever entries were read (also when all were duplicates: an earlier
        // --no-recompute may have left them uncomputed); not when every input was refused.
        // Incremental, unless the export holds days older than its lookback (BigQuery's
        // default, or GCA_RECOMPUTE_LOOKBACK_DAYS): an incremental run would not read them.
        const stored = counts.normalized > 0;
        const recompute =
          flags.recompute && counts.read > 0
            ? await recomputeLocal(ctx, deps, {
                full: false,
                lookbackDays: recomputeLookbackFor(
                  deps.config.warehouse,
                  env.recomputeLookbackDays,
                ),
                days: [...eventDays],
              })
            : null;
        // One line per input the command could not use, and exit 1.
        const refuse = () => {
          for (const line of counts.refused) ctx.err(`gca-analytics: ${line}`);
          if (counts.refused.length > 0) ctx.exitCode = 1;
        };
        if (json) {
          const { read, normalized, duplicates, quarantined, skipped } = counts;
          ctx.out(JSON.stringify({ read, normalized, duplicates, quarantined, skipped }));
          refuse();
          return;
        }
        ctx.out(
          `Read ${formatCount(counts.read)} entries: ${formatCount(counts.normalized)} stored, ` +
            `${formatCount(counts.duplicates)} duplicates, ${formatCount(counts.quarantined)} quarantined, ` +
            `${formatCount(counts.skipped)} skipped (other resource types).`,
        );
        if (recompute) ctx.out(describeRecompute(recompute));
        else if (flags.recompute === false && stored) {
          ctx.out('Not recomputed: run `gca-analytics recompute` before `report`.');
        }
        ctx.out(`Warehouse: ${deps.where}`);
        if (counts.quarantined > 0) {
          ctx.out('Quarantined entries are in gca_raw.quarantine with their reason.');
        }
        refuse();
      } finally {
        await deps.close();
      }
    });
}
