/**
 * `gca-analytics erase-user USER`: records an erasure request for USER in the state store and
 * processes it at once (local by default, or where GCA_WAREHOUSE / GCA_STATE say): every row of the user in the raw and derived tables is deleted, the
 * affected days are recomputed, and the rows removed per table are printed. In the cloud a request
 * is filed instead (`request-erasure`, cli/commands/erasure-requests.ts) and the retention
 * function processes it.
 */
import type { Command } from 'commander';
import { processErasureRequests } from '../../shared/jobs/erasure';
import { RETENTION_JOB, RETENTION_LEASE_TTL_MS } from '../../shared/jobs/retention';
import { addDbOption, CliError, type CliContext } from '../context';
import { addPseudonymizeKeyOption, pseudonymizerFrom, type KeyFlags } from '../pseudonymize-key';

interface EraseFlags extends KeyFlags {
  db?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('erase-user')
    .description(
      'Erase every row of a user (raw and derived tables) now, recompute the days concerned, and print the rows removed per table',
    )
    .argument('<user>', 'the user id as logged (e.g. an email), or its u_... pseudonym');
  addPseudonymizeKeyOption(addDbOption(cmd))
    .option('--json', 'print one JSON object: the erasure request with its counts')
    .addHelpText(
      'after',
      '\nThis erases at once in the local warehouse (or where GCA_WAREHOUSE and GCA_STATE say).\n' +
        'For a deployment, rather file a request that the daily retention function processes\n' +
        "(it retries while BigQuery's streaming buffer holds the user's newest rows), and follow it:\n" +
        '  gca-analytics request-erasure USER     (GCA_STATE=firestore, GOOGLE_CLOUD_PROJECT, ...)\n' +
        '  gca-analytics erasure-requests [--status pending|done] [--json]\n',
    )
    // Trims and checks the user id as request-erasure does: each command's action reads whole.
    .action(async (user: string, flags: EraseFlags) => {
      const userId = user.trim();
      if (userId === '') throw new CliError('the user id is empty', 2);
      const pseudonymizeUser = await pseudonymizerFrom(ctx, flags);
      const deps = await ctx.open({ db: flags.db, existing: true });
      try {
        const now = ctx.now();
        // The retention lease: a scheduled/concurrent retention run must not interleave.
        const lease = await deps.state.acquireLease(
          RETENTION_JOB,
          `erase-user-${process.pid}-${now.getTime()}`,
          RETENTION_LEASE_TTL_MS,
          now,
        );
        if (!lease) {
          throw new CliError(
            `a retention run holds the lease in ${deps.stateWhere}; try again later`,
          );
        }
        let request;
        try {
          request = await deps.state.requestErasure(userId, now);
          await processErasureRequests({
            warehouse: deps.warehouse,
            state: deps.state,
            now: () => ctx.now(),
            ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
          });
        } finally {
          await deps.state.releaseLease(lease);
        }
        const after =
          (await deps.state.listErasureRequests()).find((r) => r.id === request.id) ?? request;
        if (after.status !== 'done') ctx.exitCode = 1;
        if (flags.json) {
          ctx.out(JSON.stringify(after));
          return;
        }
        if (after.status === 'done') {
          ctx.out(`Erased ${userId}:`);
        } else {
          ctx.out(`Erasure of ${userId} is still pending (${after.lastError ?? 'unknown error'}).`);
          ctx.out('Run `gca-analytics retention` (or erase-user again) to retry it.');
        }
        const counts = Object.entries(after.counts ?? {});
        const width = Math.max(0, ...counts.map(([t]) => t.length));
        for (const [table, n] of counts) ctx.out(`  ${table.padEnd(width)}  ${n}`);
      } finally {
        await deps.close();
      }
    });
}
