/**
 * `gca-analytics backfill`: history into the warehouse, from the Cloud Logging API (scope and
 * day range) or from files exported to Cloud Storage (`gs://bucket/prefix`), through the ingest
 * path, resumable, then a recompute of the days touched (shared/ops/backfill.ts).
 */
import { Option, type Command } from 'commander';
import { CONTENT_MODES, type ContentMode } from '../../shared/content/mode';
import { runBackfill, type BackfillCounts, type BackfillSource } from '../../shared/ops/backfill';
import { loadErasedUsers } from '../../shared/ops/erased-users';
import {
  ENTRIES_LIST_REQUESTS_PER_MINUTE,
  loggingSource,
  resourceNameOf,
  type LoggingScope,
} from '../../shared/ops/logging-source';
import { parseGsUrl, storageSource } from '../../shared/ops/storage-source';
import { formatCount } from '../report/format';
import { openLoggingList, openStoragePort } from '../backfill-clients';
import { addDbOption, CliError, wholeNumberFlag, writeContext, type CliContext } from '../context';
import { parseDayRange } from '../days';
import { openOpsDeps } from '../ops-deps';
import { describeRebuild, rebuildTouched } from '../recompute-local';
import { addPseudonymizeKeyOption, pseudonymizerFrom, type KeyFlags } from '../pseudonymize-key';

interface BackfillFlags extends KeyFlags {
  db?: string;
  from?: string;
  to?: string;
  project?: string;
  folder?: string;
  organization?: string;
  bucket?: string;
  view?: string;
  location: string;
  requestsPerMinute: string;
  contentMode?: ContentMode;
  restart?: boolean;
  recompute: boolean;
  json?: boolean;
  loggingEndpoint?: string;
  backoffMs?: string;
  pageSize?: string;
}

function loggingScope(flags: BackfillFlags): LoggingScope {
  const given = (
    [
      ['projects', flags.project],
      ['folders', flags.folder],
      ['organizations', flags.organization],
    ] as const
  ).filter(([, id]) => id !== undefined);
  if (given.length !== 1) {
    throw new CliError(
      'give exactly one of --project, --folder, --organization (or a gs://bucket/prefix source)',
      2,
    );
  }
  const [kind, id] = given[0] as readonly [LoggingScope['kind'], string];
  if ((flags.bucket === undefined) !== (flags.view === undefined)) {
    throw new CliError('--bucket and --view go together (a log bucket is read through a view)', 2);
  }
  return {
    kind,
    id,
    ...(flags.bucket && flags.view
      ? { bucket: { location: flags.location, bucket: flags.bucket, view: flags.view } }
      : {}),
  };
}

function describe(c: BackfillCounts): string {
  return (
    `Read ${formatCount(c.read)} entries in ${formatCount(c.pages)} pages: ${formatCount(c.normalized)} stored, ` +
    `${formatCount(c.duplicates)} duplicates (already stored), ${formatCount(c.quarantined)} quarantined, ` +
    `${formatCount(c.skipped)} skipped, ${formatCount(c.erased)} of erased users dropped.`
  );
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('backfill')
    .summary('Load history from Cloud Logging or Cloud Storage exports, resumable, then recompute')
    .description(
      'Bring log history into the warehouse through the ingest path (same dedup keys as the live sink), ' +
        'from the Cloud Logging API (--project/--folder/--organization, --from/--to) or from files ' +
        'exported to Cloud Storage (gs://bucket/prefix), then recompute the days touched',
    )
    .argument(
      '[source]',
      'gs://bucket/prefix of exported files; omit to read the Cloud Logging API',
    );
  addPseudonymizeKeyOption(addDbOption(cmd))
    .option('--from <day>', 'first day (YYYY-MM-DD, UTC); required for the API')
    .option('--to <day>', 'last day (YYYY-MM-DD, UTC); required for the API')
    .option('--project <id>', 'read the logs of this project')
    .option('--folder <id>', 'read the logs of this folder')
    .option('--organization <id>', 'read the logs of this organization')
    .option('--bucket <id>', 'read a log bucket (with --view) instead of the _Default bucket')
    .option('--view <id>', 'the log view of --bucket')
    .option('--location <loc>', 'location of --bucket', 'global')
    .option(
      '--requests-per-minute <n>',
      'entries.list requests per minute (its quota is 60 per project)',
      String(ENTRIES_LIST_REQUESTS_PER_MINUTE),
    )
    .addOption(
      new Option(
        '--content-mode <mode>',
        'what of prompts and responses is stored (default: $GCA_CONTENT_MODE, else scrubbed)',
      ).choices(CONTENT_MODES),
    )
    .option('--restart', 'ignore the checkpoint of an earlier run and read everything again')
    .option('--no-recompute', 'only load the raw tables; run `recompute --full` later')
    .option('--json', 'print one JSON object')
    .addOption(new Option('--logging-endpoint <url>', 'Cloud Logging API endpoint').hideHelp())
    .addOption(new Option('--backoff-ms <ms>', 'first wait after a quota error').hideHelp())
    .addOption(new Option('--page-size <n>', 'entries per entries.list page').hideHelp())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  gca-analytics backfill --project my-project --from 2026-09-01 --to 2026-09-30\n' +
        '  gca-analytics backfill --organization 123 --bucket gca --view _AllLogs --location eu --from ... --to ...\n' +
        '  gca-analytics backfill gs://my-log-archive/cloudaicompanion.googleapis.com%2Fmetadata --from 2026-01-01\n' +
        '\nThe filter resource.type="cloudaicompanion.googleapis.com/Instance" is built in. The API allows\n' +
        '60 entries.list requests a minute (about 60,000 entries); quota errors are waited out. A run\n' +
        'that stops is continued by the next one with the same source and range (--restart reads it all\n' +
        'again; entries already stored are never counted twice). Erased users stay erased: their entries\n' +
        'are dropped and counted. The runbook: docs/operations.md ("First deploy and backfill").\n',
    )
    .action(async (source: string | undefined, flags: BackfillFlags) => {
      const { from, to } = parseDayRange(flags.from, flags.to);
      const rpm = Number(flags.requestsPerMinute);
      if (!(rpm > 0)) throw new CliError('--requests-per-minute must be a positive number', 2);
      let scope: string;
      let open: () => { source: BackfillSource; close(): Promise<void> };
      if (source !== undefined) {
        const gs = parseGsUrl(source);
        if (!gs)
          throw new CliError(
            `the source must be gs://bucket/prefix, not ${JSON.stringify(source)}`,
            2,
          );
        if (flags.project || flags.folder || flags.organization || flags.bucket) {
          throw new CliError(
            'a gs:// source takes no --project/--folder/--organization/--bucket',
            2,
          );
        }
        scope = JSON.stringify({ gs: source, from, to });
        open = () => {
          const endpoint = ctx.env.STORAGE_EMULATOR_HOST;
          const storage = openStoragePort({ bucket: gs.bucket, ...(endpoint ? { endpoint } : {}) });
          return {
            source: storageSource({ storage: storage.port, ...gs, from, to }),
            close: () => storage.close(),
          };
        };
      } else {
        const logScope = loggingScope(flags);
        if (from === null || to === null) {
          throw new CliError('--from and --to are required to read the Cloud Logging API', 2);
        }
        scope = JSON.stringify({ logging: resourceNameOf(logScope), from, to });
        open = () => {
          const client = openLoggingList(
            flags.loggingEndpoint ? { endpoint: flags.loggingEndpoint } : {},
          );
          return {
            source: loggingSource({
              list: client.port,
              scopes: [logScope],
              from,
              to,
              requestsPerMinute: rpm,
              ...(flags.backoffMs !== undefined
                ? { backoffMs: wholeNumberFlag('--backoff-ms', flags.backoffMs, 0) }
                : {}),
              ...(flags.pageSize !== undefined
                ? { pageSize: wholeNumberFlag('--page-size', flags.pageSize, 1) }
                : {}),
              onRetry: (err, ms) => {
                if (!flags.json) {
                  ctx.err(
                    `Cloud Logging quota reached; waiting ${Math.round(ms / 1000)} s (${(err as Error).message ?? err})`,
                  );
                }
              },
            }),
            close: () => client.close(),
          };
        };
      }
      const pseudonymizeUser = await pseudonymizerFrom(ctx, flags);
      const deps = await openOpsDeps(ctx, flags.db);
      const reader = open();
      const tty = ctx.io.stderrIsTTY && !flags.json;
      let read = false;
      try {
        const context = writeContext(ctx, flags.contentMode, pseudonymizeUser);
        const erased = await loadErasedUsers(deps.state, pseudonymizeUser);
        const result = await runBackfill(deps, {
          scope,
          source: reader.source,
          context,
          erased,
          restart: flags.restart === true,
          onPage: (c) => {
            if (tty)
              ctx.io.stderr.write(
                `\rbackfill: ${formatCount(c.read)} entries, ${formatCount(c.pages)} pages`,
              );
          },
        }).finally(() => {
          if (tty) ctx.io.stderr.write('\n');
        });
        read = true;
        const rebuild =
          flags.recompute && result.days.length > 0
            ? await rebuildTouched(ctx, deps, result.days)
            : null;
        if (rebuild?.result.status === 'locked') ctx.exitCode = 1;
        if (flags.json) {
          ctx.out(
            JSON.stringify({
              ...result.counts,
              days: result.days,
              resumed: result.resumed,
              alreadyDone: result.alreadyDone,
              recompute: rebuild ? { ...rebuild.result, full: rebuild.full } : null,
            }),
          );
          return;
        }
        if (result.alreadyDone) {
          ctx.out('This backfill had already completed; nothing read (--restart reads it again).');
          return;
        }
        if (result.resumed) ctx.out('Continued from the checkpoint of an earlier run.');
        ctx.out(describe(result.counts));
        if (rebuild) ctx.out(describeRebuild(rebuild.result, 'gca-analytics recompute --full'));
        ctx.out(`Warehouse: ${deps.where}`);
      } catch (err) {
        // Once the whole source is read its checkpoint says done, and running the command again
        // reads nothing: only a recompute brings the figures of its days then.
        ctx.err(
          read
            ? 'The backfill is complete but its recompute failed: run `gca-analytics recompute --full`.'
            : 'The checkpoint keeps what was written: run the same command again to continue.',
        );
        throw err;
      } finally {
        await reader.close();
        await deps.close();
      }
    });
}
