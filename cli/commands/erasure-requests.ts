/**
 * Erasure requests in the cloud state store, for a platform team:
 * - `gca-analytics request-erasure USER` files a pending request in the state store named by
 *   GCA_STATE (Firestore: GOOGLE_CLOUD_PROJECT, GCA_FIRESTORE_DATABASE, GCA_FIRESTORE_COLLECTION);
 *   the daily `retention` function erases the user's rows and marks it done with counts;
 * - `gca-analytics erasure-requests` lists the requests and their status.
 *
 * The request holds the user id as given (normally the logged email), not its pseudonym: the
 * retention run maps it through the key it is configured with (GCA_PSEUDONYMIZE_KEY) and also
 * erases the raw id, which is what quarantined input (stored as received) and rows ingested before
 * pseudonymization hold. So this command never needs, reads or prints the key.
 *
 * Only the state part of the configuration is parsed (shared/config.ts); the Firestore SDK is loaded only
 * when the store is opened (shared/deps.ts), so the local commands never pay for it.
 */
import type { Command } from 'commander';
import { ConfigError, parseEnv, stateEnv, type StateConfig } from '../../shared/config';
import { openState } from '../../shared/deps';
import {
  ErasureRequestSchema,
  type ErasureRequest,
  type StateStore,
} from '../../shared/state/port';
import { CliError, resolvePath, type CliContext } from '../context';
import { describeState } from '../open';

/** `pending` or `done`, from the contract's schema. */
const ERASURE_STATUSES = ErasureRequestSchema.shape.status.options;

/**
 * The state store configuration of the environment: only the state part is parsed (an
 * unrelated bad variable must not block an erasure request), so only GCA_STATE=firestore (the
 * default here: these are the cloud's commands) demands a project. Throws a one-line CliError
 * (exit 2) naming each bad or missing variable.
 */
export function stateConfig(ctx: Pick<CliContext, 'env' | 'cwd'>): StateConfig {
  let config: StateConfig;
  try {
    config = parseEnv([stateEnv()], ctx.env);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(`the state store is not configured: ${err.issues.join('; ')}`, 2);
    throw err;
  }
  if (config.state.kind === 'local') {
    // A local state file is relative to the command's directory, like --db.
    return { ...config, state: { kind: 'local', path: resolvePath(ctx, config.state.path) } };
  }
  return config;
}

/** Where the requests live, for messages: never a secret. */
const describeStore = describeState;

async function withStore<T>(
  config: StateConfig,
  fn: (state: StateStore) => Promise<T>,
): Promise<T> {
  const state = await openState(config);
  try {
    return await fn(state);
  } finally {
    await state.close();
  }
}

/** Rows removed by a request, all tables together; null before any attempt removed rows. */
function totalRows(request: ErasureRequest): number | null {
  if (request.counts === null) return null;
  return Object.values(request.counts).reduce((a, b) => a + b, 0);
}

interface RequestFlags {
  json?: boolean;
}

interface ListFlags {
  status?: string;
  user?: string;
  json?: boolean;
}

function registerRequest(program: Command, ctx: CliContext): void {
  program
    .command('request-erasure')
    .description(
      "File a pending erasure request for a user in the state store ($GCA_STATE, Firestore in the cloud); the next `retention` run erases the user's rows and marks it done",
    )
    .argument('<user>', 'the user id as logged (e.g. an email); not its pseudonym (see below)')
    .option('--json', 'print one JSON object: the erasure request (id, status, ...)')
    .addHelpText(
      'after',
      '\nConfiguration (the same variables as the functions):\n' +
        '  GCA_STATE=firestore          (default) or local:PATH\n' +
        '  GOOGLE_CLOUD_PROJECT         project of the Firestore database (required for firestore)\n' +
        "  GCA_FIRESTORE_DATABASE       default '(default)'; the Pulumi stack's is gca-analytics\n" +
        '  GCA_FIRESTORE_COLLECTION     default gca_state\n' +
        '  Credentials: Application Default Credentials (gcloud auth application-default login).\n' +
        '\nWith pseudonymous users, give the id as logged: the retention run maps it through its\n' +
        'key and also erases quarantined input holding it. Asking again while a request for the\n' +
        'user is pending returns that request. Local warehouse: use `erase-user`.\n' +
        '\nExample:\n' +
        '  GOOGLE_CLOUD_PROJECT=my-proj GCA_FIRESTORE_DATABASE=gca-analytics \\\n' +
        '    gca-analytics request-erasure bob@example.com\n' +
        '  gca-analytics erasure-requests --status pending\n',
    )
    // Trims and checks the user id as erase-user does: each command's action reads whole.
    .action(async (user: string, flags: RequestFlags) => {
      const userId = user.trim();
      if (userId === '') throw new CliError('the user id is empty', 2);
      const config = stateConfig(ctx);
      const { request, existed } = await withStore(config, async (state) => {
        const pendingBefore = await state.listErasureRequests('pending');
        const filed = await state.requestErasure(userId, ctx.now());
        return { request: filed, existed: pendingBefore.some((r) => r.id === filed.id) };
      });
      if (flags.json) {
        ctx.out(JSON.stringify(request));
        return;
      }
      ctx.out(
        existed
          ? `Erasure request ${request.id} for ${userId} was already pending (requested ${request.requestedAt}).`
          : `Erasure request ${request.id} for ${userId}: pending (requested ${request.requestedAt}).`,
      );
      ctx.out(`Stored in ${describeStore(config)}.`);
      ctx.out(
        "The next retention run erases the user's rows; check with `gca-analytics erasure-requests`.",
      );
    });
}

function registerList(program: Command, ctx: CliContext): void {
  program
    .command('erasure-requests')
    .description(
      'List the erasure requests in the state store ($GCA_STATE, Firestore in the cloud) with their status and rows removed',
    )
    .option('--status <status>', `only requests with this status: ${ERASURE_STATUSES.join(' or ')}`)
    .option('--user <user>', 'only requests for this user id')
    .option('--json', 'print one JSON array of the requests (counts per table included)')
    .addHelpText(
      'after',
      '\nSame configuration as `request-erasure` (GCA_STATE, GOOGLE_CLOUD_PROJECT,\n' +
        'GCA_FIRESTORE_DATABASE, GCA_FIRESTORE_COLLECTION). A request the retention run could not\n' +
        "finish (e.g. rows still in BigQuery's streaming buffer) stays pending with its last error\n" +
        'and is retried on the next run.\n',
    )
    .action(async (flags: ListFlags) => {
      let status: ErasureRequest['status'] | undefined;
      if (flags.status !== undefined) {
        const match = ERASURE_STATUSES.find((s) => s === flags.status);
        if (!match) {
          throw new CliError(
            `--status must be ${ERASURE_STATUSES.join(' or ')} (got ${JSON.stringify(flags.status)})`,
            2,
          );
        }
        status = match;
      }
      const user = flags.user?.trim();
      const config = stateConfig(ctx);
      const all = await withStore(config, (state) => state.listErasureRequests(status));
      const requests = all.filter((r) => !user || r.userId === user);
      if (flags.json) {
        ctx.out(JSON.stringify(requests));
        return;
      }
      if (requests.length === 0) {
        ctx.out(
          `No erasure requests${status ? ` with status ${status}` : ''} in ${describeStore(config)}.`,
        );
        return;
      }
      const header = ['ID', 'STATUS', 'REQUESTED', 'COMPLETED', 'ATTEMPTS', 'ROWS', 'USER'];
      const rows = requests.map((r) => [
        r.id,
        r.status,
        r.requestedAt,
        r.completedAt ?? '-',
        String(r.attempts),
        String(totalRows(r) ?? '-'),
        r.userId,
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd();
      ctx.out(line(header));
      for (const [i, row] of rows.entries()) {
        ctx.out(line(row));
        const lastError = requests[i]?.lastError;
        if (lastError) ctx.out(`  last error: ${lastError.replace(/\s*\n\s*/g, ' ')}`);
      }
    });
}

/** Registers `request-erasure` and `erasure-requests`. */
export function register(program: Command, ctx: CliContext): void {
  registerRequest(program, ctx);
  registerList(program, ctx);
}
