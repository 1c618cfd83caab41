/**
 * The recompute job (DESIGN.md "Incremental recompute"): rebuilds the suggestions touched since
 * the watermark, writes only those whose figures changed, then rebuilds the daily tables for
 * every day whose suggestions changed (old and new day). Running it twice, or over overlapping
 * windows, changes nothing. Runs on any Warehouse (BigQuery, DuckDB).
 *
 * Read horizon. With a lookback (from configuration; the default with BigQuery), an incremental
 * run finds touched suggestions among events with `event_timestamp >= now - lookback`
 * (`@min_event_time`) and rebuilds them from their events with
 * `event_timestamp >= @min_event_time - SUGGESTION_SPAN` (`@rebuild_min_time`), comparing with
 * stored rows of the days from `@rebuild_min_day` on: constant filters on the partition columns,
 * so an hourly run reads a few weeks of partitions instead of the whole tables.
 *
 * Limit: a touched suggestion whose stored row has an event before the horizon (a late event
 * more than SUGGESTION_SPAN after the suggestion's first one) is left as stored by incremental
 * runs, never rebuilt from part of its events; events whose event_timestamp is older than the
 * lookback (e.g. an old export backfilled through the cloud path) are not seen at all. Both
 * need a full rebuild (`{"full": true}`, `gca-analytics recompute --full`).
 */
import { randomUUID } from 'node:crypto';
import {
  DAILY_TABLES,
  deleteChangedSuggestionsSql,
  deleteDailySql,
  insertDailySql,
  insertSuggestionsSql,
  suggestionChangesSql,
  type SuggestionScope,
} from '../sql/metrics';
import type { StateStore } from '../state/port';
import type { QueryParams, Warehouse } from '../warehouse/port';

/** Name of the lease and of the watermark in the state store. */
export const RECOMPUTE_JOB = 'recompute';
/** A run holds the lease at most this long; a crashed run frees it after that. */
export const RECOMPUTE_LEASE_TTL_MS = 30 * 60 * 1000;
/**
 * The window starts this long before the watermark: a row whose ingest_time is just before
 * the previous run's end but that became visible after it (streaming) is still picked up.
 * Re-touching an unchanged suggestion writes nothing, so the overlap costs only reads.
 */
export const RECOMPUTE_OVERLAP_MS = 10 * 60 * 1000;
/**
 * The longest gap we rebuild across between a suggestion's first and last event: with a
 * lookback, touched suggestions are rebuilt from events at most this long before the lookback's
 * start. Acceptances follow their exposure within seconds to hours; a suggestion spanning
 * more is left to a full rebuild (see the module comment).
 */
export const SUGGESTION_SPAN_DAYS = 14;
const DAY_MS = 86_400_000;

export interface RecomputeOptions {
  /** Rebuild every suggestion and every daily row. Also done when there is no watermark. */
  full?: boolean;
  /**
   * Only events whose event_timestamp is at most this many days before now are looked at to
   * find touched suggestions. Default: unbounded; the caller passes its configured window
   * (shared/config.ts: 14 days with the BigQuery warehouse). With a lookback, touched suggestions are rebuilt
   * from events at most SUGGESTION_SPAN_DAYS older than that (the read horizon); without one,
   * from all their events.
   */
  lookbackDays?: number;
  /** Lease holder id (default: a random one). */
  holder?: string;
}

export interface RecomputeDeps {
  warehouse: Warehouse;
  state: StateStore;
  now?: () => Date;
}

export interface RecomputeResult {
  status: 'done' | 'locked';
  mode: 'full' | 'incremental';
  /**
   * Suggestions looked at (touched in the window, or all). With a lookback, those the guard
   * leaves as stored are not counted when their stored row is on the horizon's days, and are
   * counted (but never written) when it is on an older day.
   */
  touchedSuggestions: number;
  /**
   * Stored suggestion rows removed (changed or gone) and rows written (the insert's count: with
   * a lookback, a touched suggestion the guard leaves as stored is counted touched, not written).
   */
  suggestionsRemoved: number;
  suggestionsWritten: number;
  /** Days whose daily rows were rebuilt (`YYYY-MM-DD`, sorted). */
  daysRebuilt: string[];
  /** The watermark after the run (unchanged when locked). */
  watermark: string | null;
}

/** ISO-8601 with 6 fractional digits and Z, the registry's TIMESTAMP convention. */
export function toTimestampParam(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface ScopeChanges {
  touched: number;
  removed: number;
  added: number;
  days: string[];
}

async function readChanges(
  warehouse: Warehouse,
  scope: SuggestionScope,
  params: QueryParams,
): Promise<ScopeChanges> {
  const rows = await warehouse.query<{ change: string; day: string | null; n: number }>(
    suggestionChangesSql(scope),
    params,
  );
  const days = new Set<string>();
  const changes: ScopeChanges = { touched: 0, removed: 0, added: 0, days: [] };
  for (const r of rows) {
    if (r.change === 'touched') changes.touched += r.n;
    else {
      if (r.change === 'removed') changes.removed += r.n;
      else changes.added += r.n;
      if (r.day) days.add(r.day);
    }
  }
  changes.days = [...days].sort();
  return changes;
}

/**
 * Rebuilds the suggestions of a scope: deletes stored rows that differ or lost their events,
 * inserts the new ones. Returns what changed, with the days touched (old and new day).
 */
async function rebuildSuggestions(
  warehouse: Warehouse,
  scope: SuggestionScope,
  params: QueryParams,
): Promise<ScopeChanges> {
  const changes = await readChanges(warehouse, scope, params);
  if (changes.removed > 0) await warehouse.execute(deleteChangedSuggestionsSql(scope), params);
  if (changes.added > 0) {
    changes.added = await warehouse.execute(insertSuggestionsSql(scope), params);
  }
  return changes;
}

/**
 * Rebuilds `acceptance_daily` and `lines_accepted_daily` for the given UTC days from the
 * suggestions table. Idempotent. Call it after changing suggestions of those days.
 */
export async function rebuildDays(
  warehouse: Warehouse,
  days: readonly string[],
  now: Date = new Date(),
): Promise<void> {
  if (days.length === 0) return;
  // Each statement gets only the parameters it names (BigQuery may refuse unused ones).
  const sorted = [...days].sort();
  const dayParams: QueryParams = {
    days: { type: 'DATE', value: sorted },
    first_day: { type: 'DATE', value: sorted[0] ?? null },
    last_day: { type: 'DATE', value: sorted[sorted.length - 1] ?? null },
  };
  const params: QueryParams = {
    ...dayParams,
    now: { type: 'TIMESTAMP', value: toTimestampParam(now) },
  };
  for (const table of DAILY_TABLES) {
    await warehouse.execute(deleteDailySql(table, 'param'), dayParams);
    await warehouse.execute(insertDailySql(table, 'param'), params);
  }
}

async function rebuildAllDays(warehouse: Warehouse, now: Date): Promise<void> {
  const params: QueryParams = { now: { type: 'TIMESTAMP', value: toTimestampParam(now) } };
  for (const table of DAILY_TABLES) {
    await warehouse.execute(deleteDailySql(table, 'all'));
    await warehouse.execute(insertDailySql(table, 'all'), params);
  }
}

async function allDays(warehouse: Warehouse): Promise<string[]> {
  const rows = await warehouse.query<{ day: string }>(
    'SELECT DISTINCT day FROM `gca_analytics.suggestions` ORDER BY day',
  );
  return rows.map((r) => r.day);
}

/**
 * For erasure: after a user's raw rows are deleted, rebuilds every suggestion of those users
 * (those left without events are removed) and the daily rows of the days concerned.
 * Returns the days rebuilt.
 */
export async function rebuildUsers(
  warehouse: Warehouse,
  userIds: readonly string[],
  now: Date = new Date(),
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const params: QueryParams = {
    users: [...userIds],
    now: { type: 'TIMESTAMP', value: toTimestampParam(now) },
  };
  const changes = await rebuildSuggestions(warehouse, { kind: 'users' }, params);
  await rebuildDays(warehouse, changes.days, now);
  return changes.days;
}

/**
 * Runs recompute once under the `recompute` lease: incremental from the watermark, or full.
 * Returns `locked` without doing anything when another run holds the lease.
 */
export async function runRecompute(
  deps: RecomputeDeps,
  opts: RecomputeOptions = {},
): Promise<RecomputeResult> {
  const clock = deps.now ?? (() => new Date());
  const start = clock();
  const holder = opts.holder ?? `recompute-${randomUUID()}`;
  const lease = await deps.state.acquireLease(RECOMPUTE_JOB, holder, RECOMPUTE_LEASE_TTL_MS, start);
  const previous = await deps.state.getWatermark(RECOMPUTE_JOB);
  const full = opts.full === true || previous === null;
  const result: RecomputeResult = {
    status: 'locked',
    mode: full ? 'full' : 'incremental',
    touchedSuggestions: 0,
    suggestionsRemoved: 0,
    suggestionsWritten: 0,
    daysRebuilt: [],
    watermark: previous,
  };
  if (!lease) return result;
  try {
    const until = toTimestampParam(start);
    const nowParam = { type: 'TIMESTAMP' as const, value: until };
    let changes: ScopeChanges;
    if (full) {
      changes = await rebuildSuggestions(deps.warehouse, { kind: 'all' }, { now: nowParam });
      await rebuildAllDays(deps.warehouse, start);
    } else {
      const lookbackDays = opts.lookbackDays;
      const since = new Date(Date.parse(previous ?? until) - RECOMPUTE_OVERLAP_MS);
      const params: QueryParams = {
        now: nowParam,
        since: { type: 'TIMESTAMP', value: toTimestampParam(since) },
        until: nowParam,
      };
      if (lookbackDays !== undefined) {
        const min = new Date(start.getTime() - lookbackDays * DAY_MS);
        const horizon = new Date(min.getTime() - SUGGESTION_SPAN_DAYS * DAY_MS);
        params.min_event_time = { type: 'TIMESTAMP', value: toTimestampParam(min) };
        params.rebuild_min_time = { type: 'TIMESTAMP', value: toTimestampParam(horizon) };
        // A DATE parameter for the day-partitioned table: a plain constant BigQuery prunes on.
        params.rebuild_min_day = { type: 'DATE', value: horizon.toISOString().slice(0, 10) };
      }
      const scope: SuggestionScope = { kind: 'window', lookback: lookbackDays !== undefined };
      changes = await rebuildSuggestions(deps.warehouse, scope, params);
      await rebuildDays(deps.warehouse, changes.days, start);
    }
    await deps.state.setWatermark(RECOMPUTE_JOB, until);
    return {
      ...result,
      status: 'done',
      touchedSuggestions: changes.touched,
      suggestionsRemoved: changes.removed,
      suggestionsWritten: changes.added,
      daysRebuilt: full ? await allDays(deps.warehouse) : changes.days,
      watermark: until,
    };
  } finally {
    await deps.state.releaseLease(lease);
  }
}
