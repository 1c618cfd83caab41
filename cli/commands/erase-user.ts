/**
 * `gca-analytics erase-user USER`: records an erasure request for USER in the local state store
 * and processes it at once: every row of the user in the raw and derived tables is deleted, the
 * affected days are recomputed, and the rows removed per table are printed. In the cloud a request
 * is filed instead (`request-erasure`, cli/commands/erasure-requests.ts) and the retention
 * function processes it.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError, parseConfig } from '../../shared/config';
import { createPseudonymizer, PseudonymizeKeyError } from '../../shared/content/pseudonymize';
import { processErasureRequests } from '../../shared/jobs/erasure';
import { RETENTION_JOB, RETENTION_LEASE_TTL_MS } from '../../shared/jobs/retention';
import type { RetentionPolicy } from '../../shared/state/port';
import { addDbOption, CliError, resolveDbPath, resolvePath, type CliContext } from '../context';
import { openExistingLocal } from '../open-existing';

/** Flags shared by `retention` and `erase-user` for the pseudonymization key. */
export interface KeyFlags {
  pseudonymizeKeyFile?: string;
}

/** Adds `--pseudonymize-key-file PATH` to a command. */
export function addPseudonymizeKeyOption(command: Command): Command {
  return command.option(
    '--pseudonymize-key-file <path>',
    'file holding the user pseudonymization key used at ingest (else $GCA_PSEUDONYMIZE_KEY), so an erasure by email finds the pseudonymized rows',
  );
}

/** Retention defaults (GCA_CONTENT_DAYS, ...) and the key (GCA_PSEUDONYMIZE_KEY) from the env. */
export function privacyConfig(ctx: CliContext): {
  retentionDefaults: RetentionPolicy;
  pseudonymizeKey: string | null;
} {
  try {
    // Only the privacy variables are read here; the command is local whatever the env says,
    // so the adapters are pinned to local ones (their paths are not used).
    const config = parseConfig({
      GCA_WAREHOUSE: 'duckdb:unused',
      GCA_STATE: 'local:unused',
      GCA_CONTENT_DAYS: ctx.env.GCA_CONTENT_DAYS,
      GCA_EVENT_DAYS: ctx.env.GCA_EVENT_DAYS,
      GCA_QUARANTINE_DAYS: ctx.env.GCA_QUARANTINE_DAYS,
      GCA_PSEUDONYMIZE_KEY: ctx.env.GCA_PSEUDONYMIZE_KEY,
    });
    return { retentionDefaults: config.retentionDefaults, pseudonymizeKey: config.pseudonymizeKey };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.issues.join('; '), 2);
    throw err;
  }
}

/**
 * The key in `--pseudonymize-key-file`, else GCA_PSEUDONYMIZE_KEY, else null; a key too short
 * is a usage error (exit 2). Never prints the key.
 */
export async function pseudonymizeKeyFrom(
  ctx: CliContext,
  flags: KeyFlags,
): Promise<string | null> {
  let key: string | null = null;
  if (flags.pseudonymizeKeyFile) {
    const path = resolvePath(ctx, flags.pseudonymizeKeyFile);
    try {
      key = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code ?? 'unreadable';
      throw new CliError(`cannot read the pseudonymization key file ${path} (${code})`);
    }
  } else {
    key = privacyConfig(ctx).pseudonymizeKey;
  }
  if (key === null) return null;
  try {
    createPseudonymizer(key); // checks the key
  } catch (err) {
    if (err instanceof PseudonymizeKeyError) throw new CliError(err.message, 2);
    throw err;
  }
  return key;
}

/** The pseudonymizer of the key the flags or environment give (see pseudonymizeKeyFrom). */
export async function pseudonymizerFrom(
  ctx: CliContext,
  flags: KeyFlags,
): Promise<((userId: string) => string) | undefined> {
  const key = await pseudonymizeKeyFrom(ctx, flags);
  return key === null ? undefined : createPseudonymizer(key);
}

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
      '\nThis erases in the local DuckDB warehouse. For the cloud (BigQuery), file a request that\n' +
        'the daily retention function processes, and follow it:\n' +
        '  gca-analytics request-erasure USER     (GCA_STATE=firestore, GOOGLE_CLOUD_PROJECT, ...)\n' +
        '  gca-analytics erasure-requests [--status pending|done] [--json]\n',
    )
    .action(async (user: string, flags: EraseFlags) => {
      const userId = user.trim();
      if (userId === '') throw new CliError('the user id is empty', 2);
      const pseudonymizeUser = await pseudonymizerFrom(ctx, flags);
      const deps = await openExistingLocal(ctx, resolveDbPath(ctx, flags.db));
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
            `a retention run holds the lease in ${deps.statePath}; try again later`,
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
