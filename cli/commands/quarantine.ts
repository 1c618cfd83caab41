/**
 * `gca-analytics quarantine list|reprocess`: what is in gca_raw.quarantine, by reason; and
 * re-normalizing it with today's code (shared/ops/quarantine.ts), then recomputing the days of
 * the entries that now normalize. Local (--db) or the cloud (GCA_WAREHOUSE=bigquery).
 */
import { Option, type Command } from 'commander';
import { CONTENT_MODES, type ContentMode } from '../../shared/content/mode';
import { loadErasedUsers } from '../../shared/ops/erased-users';
import {
  listQuarantine,
  reprocessQuarantine,
  type QuarantineFilter,
} from '../../shared/ops/quarantine';
import { QUARANTINE_REASONS } from '../../shared/tables/registry';
import { formatCount } from '../report/format';
import { addDbOption, wholeNumberFlag, writeContext, type CliContext } from '../context';
import { parseDayRange } from '../days';
import { openOpsDeps } from '../ops-deps';
import { describeRebuild, rebuildTouched } from '../recompute-local';
import { addPseudonymizeKeyOption, pseudonymizerFrom, type KeyFlags } from '../pseudonymize-key';

interface FilterFlags {
  db?: string;
  reason?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

function filterOf(flags: FilterFlags): QuarantineFilter {
  const { from, to } = parseDayRange(flags.from, flags.to);
  return { reason: flags.reason ?? null, from, to };
}

function addFilterOptions(cmd: Command): Command {
  return addDbOption(cmd)
    .addOption(
      new Option('--reason <reason>', 'only rows with this reason').choices(QUARANTINE_REASONS),
    )
    .option('--from <day>', 'first day quarantined (YYYY-MM-DD, UTC)')
    .option('--to <day>', 'last day quarantined (YYYY-MM-DD, UTC)')
    .option('--json', 'print one JSON object');
}

export function register(program: Command, ctx: CliContext): void {
  const quarantine = program
    .command('quarantine')
    .description('Inspect and reprocess the entries kept in gca_raw.quarantine')
    .addHelpText('after', '\nThe runbook: docs/operations.md ("Reprocessing the quarantine").\n');

  const list = quarantine
    .command('list')
    .description('Count quarantined entries by reason, with a few samples of each (no content)');
  addFilterOptions(list)
    .option('--samples <n>', 'samples per reason', '3')
    .addHelpText(
      'after',
      '\nA sample marked "raw truncated" was over 64 KiB when quarantined; reprocess leaves it.\n' +
        'The runbook: docs/operations.md ("Reprocessing the quarantine").\n',
    )
    .action(async (flags: FilterFlags & { samples: string }) => {
      const filter = filterOf(flags);
      const samples = wholeNumberFlag('--samples', flags.samples, 0) ?? 3;
      const deps = await openOpsDeps(ctx, flags.db, { existing: true });
      try {
        const listing = await listQuarantine(deps.warehouse, filter, { samples });
        if (flags.json) {
          ctx.out(JSON.stringify(listing));
          return;
        }
        if (listing.total === 0) {
          ctx.out(
            `No quarantined entries${flags.reason || filter.from || filter.to ? ' match' : ''}.`,
          );
          return;
        }
        ctx.out(`${formatCount(listing.total)} quarantined entries:`);
        const width = Math.max(...listing.byReason.map((r) => r.reason.length));
        for (const r of listing.byReason) {
          ctx.out(
            `  ${r.reason.padEnd(width)}  ${formatCount(r.count).padStart(8)}  ${r.oldest.slice(0, 19)} .. ${r.newest.slice(0, 19)}`,
          );
        }
        if (listing.samples.length > 0) ctx.out('Samples (newest first):');
        for (const s of listing.samples) {
          const id = s.messageId
            ? `message ${s.messageId}`
            : s.insertId
              ? `insertId ${s.insertId}`
              : s.source;
          ctx.out(
            `  ${s.quarantineTime.slice(0, 19)}  ${s.reason}  ${id}  ${formatCount(s.rawBytes)} bytes` +
              `${s.truncated ? ' (raw truncated: reprocess leaves it)' : ''}  ${s.detail ?? ''}`,
          );
        }
      } finally {
        await deps.close();
      }
    });

  const reprocess = quarantine
    .command('reprocess')
    .description(
      "Re-normalize quarantined entries with today's code: those that now normalize move to the raw tables, the others stay with their new reason; then recompute",
    );
  addPseudonymizeKeyOption(addFilterOptions(reprocess))
    .addOption(
      new Option(
        '--content-mode <mode>',
        'content policy for the rows written (default: $GCA_CONTENT_MODE, else scrubbed)',
      ).choices(CONTENT_MODES),
    )
    .option('--dry-run', 'count what would move; change nothing')
    .option('--no-recompute', 'do not recompute afterwards')
    .addHelpText(
      'after',
      '\nIdempotent: an entry already stored (by the live path, or an earlier run) is not counted\n' +
        'twice. Rows whose raw text was truncated when quarantined (over 64 KiB) are left alone;\n' +
        'rows of erased users are removed and counted, never written. On BigQuery, rows streamed in\n' +
        'the last 30 minutes cannot be changed yet: run it again later.\n' +
        'The runbook: docs/operations.md ("Reprocessing the quarantine").\n',
    )
    .action(
      async (
        flags: FilterFlags &
          KeyFlags & { contentMode?: ContentMode; dryRun?: boolean; recompute: boolean },
      ) => {
        const filter = filterOf(flags);
        const pseudonymizeUser = await pseudonymizerFrom(ctx, flags);
        const deps = await openOpsDeps(ctx, flags.db, { existing: true });
        try {
          const context = writeContext(ctx, flags.contentMode, pseudonymizeUser);
          const erased = await loadErasedUsers(deps.state, pseudonymizeUser);
          const result = await reprocessQuarantine(deps.warehouse, {
            context,
            filter,
            erased,
            dryRun: flags.dryRun === true,
          });
          const rebuild =
            !flags.dryRun && flags.recompute && result.days.length > 0
              ? await rebuildTouched(ctx, deps, result.days)
              : null;
          if (rebuild?.result.status === 'locked') ctx.exitCode = 1;
          const c = result.counts;
          if (flags.json) {
            ctx.out(
              JSON.stringify({
                ...c,
                failingByReason: result.failingByReason,
                days: result.days,
                dryRun: flags.dryRun === true,
                recompute: rebuild ? { ...rebuild.result, full: rebuild.full } : null,
              }),
            );
            return;
          }
          const verb = flags.dryRun ? 'would move' : 'moved';
          ctx.out(
            `Reprocessed ${formatCount(c.read)} quarantined entries: ${formatCount(c.moved)} ${verb} to the raw tables` +
              ` (${formatCount(c.alreadyStored)} already stored), ${formatCount(c.stillFailing)} still failing` +
              ` (${formatCount(c.reasonChanged)} with a new reason), ${formatCount(c.skipped)} other resource types removed,` +
              ` ${formatCount(c.erased)} of erased users removed, ${formatCount(c.truncated)} truncated and` +
              ` ${formatCount(c.noRaw)} without raw text left alone.`,
          );
          for (const [reason, n] of Object.entries(result.failingByReason)) {
            ctx.out(`  still failing: ${reason} ${formatCount(n)}`);
          }
          if (rebuild) ctx.out(describeRebuild(rebuild.result, 'gca-analytics recompute'));
          ctx.out(`Warehouse: ${deps.where}`);
        } finally {
          await deps.close();
        }
      },
    );
}
