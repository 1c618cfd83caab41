/**
 * `gca-analytics retention [--db PATH] [--now ISO] [--dry-run] [--json]`: the retention job on
 * the warehouse (local, or where GCA_WAREHOUSE says): pending erasures, row expiry, content expiry, and an audit row in
 * gca_analytics.retention_runs. The policy comes from the state file, else GCA_CONTENT_DAYS,
 * GCA_EVENT_DAYS, GCA_QUARANTINE_DAYS, else 30 / 400 / 30 days.
 */
import type { Command } from 'commander';
import { runRetention, type RetentionResult } from '../../shared/jobs/retention';
import { RETENTION_ENV } from '../../shared/config';
import { addDbOption, CliError, commandEnv, type CliContext } from '../context';
import { addPseudonymizeKeyOption, pseudonymizerFrom, type KeyFlags } from '../pseudonymize-key';

interface RetentionFlags extends KeyFlags {
  db?: string;
  now?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `--now` as a Date: an ISO-8601 time with a zone (or a bare date, meaning UTC midnight). */
export function parseNow(value: string): Date {
  const ok =
    /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/.test(
      value,
    );
  const ms = ok ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new CliError(
      `--now must be an ISO-8601 time such as 2025-10-08T00:00:00Z, not ${value}`,
      2,
    );
  }
  return new Date(ms);
}

/** The run as terminal lines: policy, cutoffs, one line per table and action, erasures. */
export function describeRetention(r: RetentionResult): string[] {
  const lines: string[] = [];
  const p = r.policy;
  lines.push(
    `${r.dryRun ? 'Dry run (nothing changed)' : 'Retention run'} at ${r.runTime}: content ${p.contentDays} days, ` +
      `events ${p.eventDays} days, quarantine ${p.quarantineDays} days.`,
  );
  const verb = r.dryRun ? 'would change' : 'changed';
  const width = Math.max(...r.changes.map((c) => c.table.length), 5);
  lines.push(`  ${'table'.padEnd(width)}  ${'action'.padEnd(15)}  rows ${verb}`);
  for (const c of r.changes) {
    lines.push(`  ${c.table.padEnd(width)}  ${c.action.padEnd(15)}  ${c.rows}`);
  }
  if (r.erasures.length > 0) {
    lines.push(
      `Erasure requests: ${r.erasuresDone} done, ${r.erasuresPending} pending` +
        (r.dryRun ? ' (dry run: none processed)' : '') +
        '.',
    );
    for (const e of r.erasures) {
      if (e.error) lines.push(`  ${e.id}: pending after ${e.attempts} attempts: ${e.error}`);
    }
  }
  return lines;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('retention')
    .description(
      'Apply the retention policy: process erasure requests, delete expired rows, null expired content, and record the run in gca_analytics.retention_runs',
    );
  addPseudonymizeKeyOption(addDbOption(cmd))
    .option('--now <iso>', 'the clock of the run (default: now), e.g. 2025-10-08T00:00:00Z')
    .option('--dry-run', 'report per table what would change; change nothing')
    .option('--json', 'print one JSON object: the run (policy, cutoffs, changes, erasures)')
    .action(async (flags: RetentionFlags) => {
      const now = flags.now ? parseNow(flags.now) : ctx.now();
      const { retentionDefaults } = commandEnv(ctx, [RETENTION_ENV]);
      const pseudonymizeUser = await pseudonymizerFrom(ctx, flags);
      const deps = await ctx.open({ db: flags.db, existing: true });
      try {
        const result = await runRetention(
          {
            warehouse: deps.warehouse,
            state: deps.state,
            now: () => now,
            ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
          },
          { dryRun: flags.dryRun === true, defaults: retentionDefaults },
        );
        if (result.status === 'locked') {
          throw new CliError(
            `another retention run holds the lease in ${deps.stateWhere}; try again when it has finished`,
          );
        }
        if (flags.json) ctx.out(JSON.stringify(result));
        else for (const line of describeRetention(result)) ctx.out(line);
        if (result.erasuresPending > 0 && !result.dryRun) ctx.exitCode = 1;
      } finally {
        await deps.close();
      }
    });
}
