/**
 * Per-user erasure, processed by the retention run: every row of a user in the raw tables
 * (requests, responses, metadata events, quarantined input that names them, and their
 * interactions in curated datasets, gca_raw.dataset_members, and their periods in the team
 * mapping, gca_analytics.user_teams) is deleted, the
 * user's suggestions and the daily tables of the affected days are rebuilt from what remains
 * (recompute's `rebuildUsers`), and leftovers of the user in derived tables are deleted. The
 * request is then marked done with the rows removed per table.
 *
 * A request that fails (typically BigQuery refusing DML over rows still in the 30-minute streaming
 * buffer) stays pending with `lastError` and `attempts` + 1 and is retried by the next run: never
 * lost. Deletes are idempotent, so a retry after a partial failure finishes the job; the counts
 * of every attempt add up.
 *
 * User ids may be pseudonymized at ingest: an erasure by raw id is mapped through the same
 * pseudonymizer (and the raw id is erased too, for rows ingested before pseudonymization).
 */
import { isPseudonym } from '../content/pseudonymize';
import {
  eraseDatasetMembersSql,
  eraseUserDatasetsSql,
  eraseDerivedSql,
  eraseRawSql,
  eraseUserTeamsSql,
  USER_DERIVED_TABLES,
  type CountedStatement,
} from '../sql/retention';
import type { RawTableName } from '../tables/registry';
import type { ErasureRequest, StateStore } from '../state/port';
import type { QueryParams, Warehouse } from '../warehouse/port';
import { RECOMPUTE_JOB, RECOMPUTE_LEASE_TTL_MS, rebuildUsers } from './recompute';

/** Raw tables erasure deletes from, in order. */
export const ERASURE_RAW_TABLES: readonly RawTableName[] = [
  'metadata_events',
  'requests',
  'responses',
  'quarantine',
];

export interface ErasureDeps {
  warehouse: Warehouse;
  state: StateStore;
  now?: () => Date;
  /** The ingest pseudonymizer, when pseudonymization is on (GCA_PSEUDONYMIZE_KEY). */
  pseudonymizeUser?: (userId: string) => string;
}

export interface ErasureOptions {
  /** Count what would be erased; change nothing (neither rows nor requests). */
  dryRun?: boolean;
  /** Lease holder id for the recompute lease taken while rebuilding. */
  holder?: string;
}

/** What happened to one request in this run. */
export interface ErasureOutcome {
  id: string;
  status: ErasureRequest['status'];
  /** Rows removed in this run (dry run: that would be removed), per `dataset.table`. */
  counts: Record<string, number>;
  /** Days whose daily rows were rebuilt. */
  daysRebuilt: string[];
  /** The error that left the request pending, or null. */
  error: string | null;
  attempts: number;
}

/** The failure BigQuery reports for DML over rows still in the streaming buffer. */
const STREAMING_BUFFER =
  /would affect rows in the streaming buffer|streaming buffer, which is not supported/i;

/** True for BigQuery's "UPDATE or DELETE statement ... would affect rows in the streaming buffer". */
export function isStreamingBufferError(err: unknown): boolean {
  if (!(err instanceof Error)) return STREAMING_BUFFER.test(String(err));
  if (STREAMING_BUFFER.test(err.message)) return true;
  const withErrors = err as Error & { errors?: unknown };
  return (
    Array.isArray(withErrors.errors) && STREAMING_BUFFER.test(JSON.stringify(withErrors.errors))
  );
}

/**
 * The user ids stored for a requested id: its pseudonym when pseudonymization is on (plus the id
 * itself, for rows written before it was turned on); an id that already is a pseudonym as is.
 */
export function erasureUserIds(
  userId: string,
  pseudonymizeUser?: (userId: string) => string,
): string[] {
  if (!pseudonymizeUser || isPseudonym(userId)) return [userId];
  const pseudonym = pseudonymizeUser(userId);
  return pseudonym === userId ? [userId] : [pseudonym, userId];
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // State documents hold control data only: keep the message short.
  return message.length > 500 ? `${message.slice(0, 500)}...` : message;
}

async function countOf(warehouse: Warehouse, stmt: CountedStatement, params: QueryParams) {
  const rows = await warehouse.query<{ n: number }>(stmt.countSql, params);
  return Number(rows[0]?.n ?? 0);
}

function add(into: Record<string, number>, table: string, n: number): void {
  into[table] = (into[table] ?? 0) + n;
}

/**
 * Erases the users `userIds` (already mapped, see erasureUserIds): raw deletes, rebuild of
 * their suggestions and days, derived leftovers deleted. `counts` receives the rows removed per
 * table as they happen, so a caller keeps the partial counts when a later step throws.
 * Dry run: `counts` receives what would be removed; nothing changes.
 */
export async function eraseUsers(
  warehouse: Warehouse,
  userIds: readonly string[],
  opts: { now: Date; dryRun: boolean; counts: Record<string, number> },
): Promise<{ daysRebuilt: string[] }> {
  const params: QueryParams = {
    users: [...userIds],
    user_needles: userIds.map((u) => JSON.stringify(u)),
    // As a dataset's filter_json names its user (shared/datasets/store.ts).
    user_filters: userIds.map((u) => `"user":${JSON.stringify(u)}`),
  };
  // Curated datasets too: an erased user's interactions leave every dataset, and a dataset
  // chosen by the user (its filter names them) goes; and the user's periods in the team mapping.
  const raw = [
    ...ERASURE_RAW_TABLES.map(eraseRawSql),
    eraseDatasetMembersSql(),
    eraseUserDatasetsSql(),
    eraseUserTeamsSql(),
  ];
  const derived = USER_DERIVED_TABLES.map(eraseDerivedSql);
  if (opts.dryRun) {
    for (const stmt of [...raw, ...derived]) {
      add(opts.counts, stmt.table, await countOf(warehouse, stmt, params));
    }
    return { daysRebuilt: [] };
  }
  // Derived rows of the user as they are now: what the rebuild and the leftover delete remove.
  const derivedBefore = new Map<string, number>();
  for (const stmt of derived) derivedBefore.set(stmt.table, await countOf(warehouse, stmt, params));
  for (const stmt of raw) add(opts.counts, stmt.table, await warehouse.execute(stmt.sql, params));
  const daysRebuilt = await rebuildUsers(warehouse, userIds, opts.now);
  for (const stmt of derived) {
    await warehouse.execute(stmt.sql, params);
    add(opts.counts, stmt.table, derivedBefore.get(stmt.table) ?? 0);
  }
  return { daysRebuilt };
}

/**
 * Processes every pending erasure request. Holds the recompute lease while it works, so a
 * concurrent recompute cannot write back rows of a user being erased; when recompute holds it,
 * the requests stay pending for the next run. Never throws for one failing request: it stays
 * pending with its error (state store errors do propagate).
 */
export async function processErasureRequests(
  deps: ErasureDeps,
  opts: ErasureOptions = {},
): Promise<ErasureOutcome[]> {
  const clock = deps.now ?? (() => new Date());
  const dryRun = opts.dryRun === true;
  const pending = await deps.state.listErasureRequests('pending');
  if (pending.length === 0) return [];

  const outcomes: ErasureOutcome[] = [];
  if (dryRun) {
    for (const request of pending) {
      const counts: Record<string, number> = {};
      const ids = erasureUserIds(request.userId, deps.pseudonymizeUser);
      await eraseUsers(deps.warehouse, ids, { now: clock(), dryRun: true, counts });
      outcomes.push({
        id: request.id,
        status: 'pending',
        counts,
        daysRebuilt: [],
        error: null,
        attempts: request.attempts,
      });
    }
    return outcomes;
  }

  const holder = opts.holder ?? `retention-erasure-${process.pid}-${clock().getTime()}`;
  const lease = await deps.state.acquireLease(
    RECOMPUTE_JOB,
    holder,
    RECOMPUTE_LEASE_TTL_MS,
    clock(),
  );
  try {
    for (const request of pending) {
      const counts: Record<string, number> = {};
      let error: string | null = null;
      let daysRebuilt: string[] = [];
      if (!lease) {
        error = 'recompute is running; retried on the next retention run';
      } else {
        try {
          const ids = erasureUserIds(request.userId, deps.pseudonymizeUser);
          ({ daysRebuilt } = await eraseUsers(deps.warehouse, ids, {
            now: clock(),
            dryRun: false,
            counts,
          }));
        } catch (err) {
          error = isStreamingBufferError(err)
            ? `streaming buffer: ${errorText(err)}`
            : errorText(err);
        }
      }
      const merged: Record<string, number> = { ...(request.counts ?? {}) };
      for (const [table, n] of Object.entries(counts)) add(merged, table, n);
      const updated: ErasureRequest = {
        ...request,
        status: error === null ? 'done' : 'pending',
        completedAt: error === null ? clock().toISOString() : null,
        attempts: request.attempts + 1,
        counts: error === null || Object.keys(merged).length > 0 ? merged : request.counts,
        lastError: error,
      };
      await deps.state.updateErasureRequest(updated);
      outcomes.push({
        id: request.id,
        status: updated.status,
        counts,
        daysRebuilt,
        error,
        attempts: updated.attempts,
      });
    }
  } finally {
    if (lease) await deps.state.releaseLease(lease);
  }
  return outcomes;
}
