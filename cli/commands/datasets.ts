/**
 * `gca-analytics datasets create|list|show|delete|export`: curated datasets of interactions
 * (shared/datasets/). Like AI Studio's datasets of logs: a named, described selection, kept past
 * content expiry, for challenge, sample and evaluation sets, re-run through the Gemini Batch API.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  DATASET_KINDS,
  type DatasetFilter,
  type DatasetKind,
} from '../../shared/datasets/selection';
import {
  createDataset,
  DatasetError,
  deleteDataset,
  getDataset,
  listDatasetMembers,
  listDatasets,
  type DatasetInfo,
} from '../../shared/datasets/store';
import {
  EXPORT_FORMATS,
  exportDataset,
  type ExportFormat,
  type ExportResult,
} from '../../shared/datasets/export';
import { addDbOption, CliError, resolvePath, type CliContext, type CommandDeps } from '../context';
import { parseDayRange } from '../days';

interface DbFlags {
  db?: string;
  json?: boolean;
}

interface CreateFlags extends DbFlags {
  description?: string;
  from?: string;
  to?: string;
  user?: string;
  team?: string;
  language?: string;
  kind?: string;
  accepted?: boolean;
  notAccepted?: boolean;
  withToolCalls?: boolean;
  sample?: string;
  seed?: string;
  replace?: boolean;
}

interface ShowFlags extends DbFlags {
  limit?: string;
}

/**
 * Runs `fn` with the command's warehouse, opened as every command opens it (`ctx.open`: --db,
 * else GCA_WAREHOUSE / GCA_STATE; a local warehouse must exist); a DatasetError becomes a
 * one-line CliError.
 */
async function withWarehouse<T>(
  ctx: CliContext,
  db: string | undefined,
  fn: (opened: CommandDeps) => Promise<T>,
): Promise<T> {
  const opened = await ctx.open({ db, existing: true });
  try {
    return await fn(opened);
  } catch (err) {
    if (err instanceof DatasetError) throw new CliError(err.message);
    throw err;
  } finally {
    await opened.close();
  }
}

function positiveInt(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new CliError(`${option} must be a positive integer, got ${JSON.stringify(text)}`, 2);
  }
  return Number(text);
}

/** The filter of `datasets create`, validated (usage errors exit 2). */
export function filterFromFlags(flags: CreateFlags): DatasetFilter {
  if (flags.from === undefined || flags.to === undefined) {
    throw new CliError('--from and --to are required (days as YYYY-MM-DD)', 2);
  }
  const range = parseDayRange(flags.from, flags.to);
  if (flags.accepted && flags.notAccepted) {
    throw new CliError('--accepted and --not-accepted exclude each other', 2);
  }
  if (flags.kind !== undefined && !(DATASET_KINDS as readonly string[]).includes(flags.kind)) {
    throw new CliError(`--kind must be one of ${DATASET_KINDS.join(', ')}, got ${flags.kind}`, 2);
  }
  const sample = positiveInt('--sample', flags.sample);
  if (flags.seed !== undefined && sample === undefined) {
    throw new CliError('--seed goes with --sample N', 2);
  }
  const filter: DatasetFilter = { from: range.from ?? flags.from, to: range.to ?? flags.to };
  if (flags.user !== undefined) filter.user = flags.user;
  if (flags.team !== undefined) filter.team = flags.team;
  if (flags.language !== undefined) filter.language = flags.language;
  if (flags.kind !== undefined) filter.kind = flags.kind as DatasetKind;
  if (flags.accepted) filter.accepted = true;
  if (flags.notAccepted) filter.accepted = false;
  if (flags.withToolCalls) filter.withToolCalls = true;
  if (sample !== undefined) {
    filter.sample = sample;
    filter.seed = flags.seed ?? '0';
  }
  return filter;
}

/** The filter in the words of the command line, for listings. */
export function describeFilter(f: DatasetFilter): string {
  const parts = [`--from ${f.from} --to ${f.to}`];
  if (f.user !== undefined) parts.push(`--user ${f.user}`);
  if (f.team !== undefined) parts.push(`--team ${f.team}`);
  if (f.language !== undefined) parts.push(`--language ${f.language}`);
  if (f.kind !== undefined) parts.push(`--kind ${f.kind}`);
  if (f.accepted === true) parts.push('--accepted');
  if (f.accepted === false) parts.push('--not-accepted');
  if (f.withToolCalls) parts.push('--with-tool-calls');
  if (f.sample !== undefined) parts.push(`--sample ${f.sample} --seed ${f.seed ?? '0'}`);
  return parts.join(' ');
}

function printInfo(ctx: CliContext, d: DatasetInfo): void {
  ctx.out(`Dataset ${d.name}`);
  if (d.description) ctx.out(`  description  ${d.description}`);
  ctx.out(`  filter       ${describeFilter(d.filter)}`);
  ctx.out(`  created      ${d.createdAt}`);
  const erased = d.memberCount - d.members;
  ctx.out(
    `  members      ${d.members}${erased > 0 ? ` (${d.memberCount} at creation; ${erased} removed by erasure)` : ''}`,
  );
}

interface ExportFlags extends DbFlags {
  format?: string;
}

/** Writes a line to a file stream, waiting for it to drain when its buffer is full. */
function fileSink(stream: WriteStream): (line: string) => Promise<void> {
  return async (line) => {
    if (!stream.write(`${line}\n`)) await once(stream, 'drain');
  };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

function skippedText(result: ExportResult): string {
  const parts = Object.entries(result.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason.replace(/_/g, '-')}`);
  return parts.length === 0 ? '' : `; skipped ${parts.join(', ')}`;
}

/** Nested subcommands report through the context like top-level ones (main configures those). */
function inherit(cmd: Command, ctx: CliContext): Command {
  return cmd.exitOverride().configureOutput({
    writeOut: (s) => void ctx.io.stdout.write(s),
    writeErr: (s) => void ctx.io.stderr.write(s),
  });
}

export function register(program: Command, ctx: CliContext): void {
  const datasets = program
    .command('datasets')
    .summary('Curated datasets of interactions: create, list, show, delete, export')
    .description(
      'Curated datasets of interactions (request, response and metadata by request_id): named, described selections kept in gca_raw, kept past content expiry, exportable for the Gemini Batch API or evaluation tools',
    )
    .addHelpText(
      'after',
      '\nWith GCA_WAREHOUSE=bigquery (and GOOGLE_CLOUD_PROJECT) and no --db, they work on BigQuery.\n',
    );

  // Each subcommand is declared in full, as commander reads: the declarations share a shape only.
  const create = inherit(
    datasets
      .command('create')
      .description('Create a dataset from a filter over the interactions of a day range')
      .argument('<name>', 'dataset name: letters, digits, _, - and .'),
    ctx,
  );
  addDbOption(create)
    .option('--description <text>', 'what the dataset is for')
    .option('--from <day>', 'first day (UTC, of the request), YYYY-MM-DD; required')
    .option('--to <day>', 'last day included, YYYY-MM-DD; required')
    .option('--user <user>', 'only this user (as stored: the pseudonym when pseudonymized)')
    .option(
      '--team <team>',
      'only users of TEAM (or of its teams, for a parent team) on the day of the request, as `teams import` mapped them',
    )
    .option('--language <lang>', 'only interactions with a context file or suggestion in LANG')
    .option('--kind <kind>', `only ${DATASET_KINDS.join(', ')}`)
    .option('--accepted', 'only interactions whose suggestions were accepted')
    .option('--not-accepted', 'only interactions whose suggestions were shown, never accepted')
    .option('--with-tool-calls', 'only interactions whose response called tools')
    .option('--sample <n>', 'keep a deterministic sample of N of the matches')
    .option('--seed <s>', 'seed of the sample (default 0)')
    .option('--replace', 'replace an existing dataset of that name')
    .option('--json', 'print the dataset as one JSON object')
    .action(async (name: string, flags: CreateFlags) => {
      const filter = filterFromFlags(flags);
      await withWarehouse(ctx, flags.db, async ({ warehouse }) => {
        const result = await createDataset(warehouse, {
          name,
          ...(flags.description !== undefined ? { description: flags.description } : {}),
          filter,
          replace: flags.replace === true,
          now: ctx.now(),
        });
        if (flags.json) {
          ctx.out(JSON.stringify(result));
          return;
        }
        ctx.out(
          `${result.replaced ? 'Replaced' : 'Created'} dataset ${name}: ${result.dataset.members} interactions.`,
        );
        if (result.metadataOnly > 0) {
          ctx.out(
            `  ${result.metadataOnly} matching interactions were left out: stored in metadata-only content mode, they hold no content to curate.`,
          );
        }
        if (result.expired > 0) {
          ctx.out(
            `  ${result.expired} matching interactions were left out: their content expired.`,
          );
        }
      });
    });

  const list = inherit(datasets.command('list').description('List the datasets'), ctx);
  addDbOption(list)
    .option('--json', 'print a JSON array')
    .action(async (flags: DbFlags) => {
      await withWarehouse(ctx, flags.db, async ({ warehouse, where }) => {
        const all = await listDatasets(warehouse);
        if (flags.json) {
          ctx.out(JSON.stringify(all));
          return;
        }
        if (all.length === 0) {
          ctx.out(`No datasets in ${where}.`);
          return;
        }
        const width = Math.max(4, ...all.map((d) => d.name.length));
        ctx.out(`${'name'.padEnd(width)}  members  created                      description`);
        for (const d of all) {
          ctx.out(
            `${d.name.padEnd(width)}  ${String(d.members).padStart(7)}  ${d.createdAt.padEnd(27)}  ${d.description ?? ''}`.trimEnd(),
          );
        }
      });
    });

  const show = inherit(
    datasets
      .command('show')
      .description('Show a dataset: its filter and its interactions')
      .argument('<name>', 'dataset name'),
    ctx,
  );
  addDbOption(show)
    .option('--limit <n>', 'interactions listed (default 50; 0 for all)', '50')
    .option('--json', 'print one JSON object {dataset, members}')
    .action(async (name: string, flags: ShowFlags) => {
      const limitText = flags.limit ?? '50';
      if (!/^\d+$/.test(limitText)) throw new CliError('--limit must be a number', 2);
      const limit = Number(limitText) === 0 ? null : Number(limitText);
      await withWarehouse(ctx, flags.db, async ({ warehouse, where }) => {
        const dataset = await getDataset(warehouse, name);
        if (!dataset) throw new CliError(`no dataset ${name} in ${where}`);
        const members = await listDatasetMembers(warehouse, name, limit);
        if (flags.json) {
          ctx.out(JSON.stringify({ dataset, members }));
          return;
        }
        printInfo(ctx, dataset);
        ctx.out('');
        for (const m of members) {
          const state =
            m.kind === null
              ? '(rows deleted by row expiry)'
              : `${m.kind}${m.hasContent ? '' : ' (no content)'}`;
          ctx.out(`  ${m.requestId}  ${m.requestTime ?? '-'}  ${m.userId ?? '-'}  ${state}`);
        }
        if (limit !== null && dataset.members > members.length) {
          ctx.out(`  ... ${dataset.members - members.length} more (--limit 0 lists all)`);
        }
      });
    });

  const exp = inherit(
    datasets
      .command('export')
      .description(
        'Write a dataset as JSON Lines: --format batch (a Gemini Batch API input file) or pairs (prompt, original response and metadata, for evaluation tools)',
      )
      .argument('<name>', 'dataset name')
      .argument('<file>', 'output file; - for stdout'),
    ctx,
  );
  addDbOption(exp)
    .option('--format <format>', EXPORT_FORMATS.join(' or '))
    .action(async (name: string, file: string, flags: ExportFlags) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format ?? '')) {
        throw new CliError(`--format must be ${EXPORT_FORMATS.join(' or ')}`, 2);
      }
      const format = flags.format as ExportFormat;
      await withWarehouse(ctx, flags.db, async ({ warehouse, where }) => {
        const dataset = await getDataset(warehouse, name);
        if (!dataset) throw new CliError(`no dataset ${name} in ${where}`);
        let result: ExportResult;
        let target: string;
        if (file === '-') {
          target = 'stdout';
          result = await exportDataset(warehouse, name, format, async (line) => {
            ctx.io.stdout.write(`${line}\n`);
          });
        } else {
          // Written beside the target and renamed when complete: a failed export leaves no
          // truncated file that looks like a whole one.
          target = resolvePath(ctx, file);
          const partial = `${target}.partial`;
          const stream = createWriteStream(partial);
          try {
            result = await exportDataset(warehouse, name, format, fileSink(stream));
            await closeStream(stream);
            await rename(partial, target);
          } catch (err) {
            stream.destroy();
            await rm(partial, { force: true });
            throw err;
          }
        }
        const summary = `Wrote ${result.written} of ${dataset.members} interactions of ${name} to ${target} (${format})${skippedText(result)}.`;
        // With stdout as the file, stdout holds only the lines.
        (file === '-' ? ctx.err : ctx.out)(summary);
        if (result.written === 0) ctx.exitCode = 1;
      });
    });

  const del = inherit(
    datasets
      .command('delete')
      .description('Delete a dataset (its selection only; the interactions stay)')
      .argument('<name>', 'dataset name'),
    ctx,
  );
  addDbOption(del).action(async (name: string, flags: DbFlags) => {
    await withWarehouse(ctx, flags.db, async ({ warehouse, where }) => {
      if (!(await deleteDataset(warehouse, name))) {
        throw new CliError(`no dataset ${name} in ${where}`);
      }
      ctx.out(`Deleted dataset ${name}.`);
    });
  });
}
