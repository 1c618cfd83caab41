/**
 * The incremental recompute job (docs/functions.md, `recompute`): rebuilds the suggestions touched since
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
  ACTIVITY_SPAN_DAYS,
  ACTIVITY_TABLES,
  deleteActivitySql,
  insertActivitySql,
  RAW_DAY_EXTENT_SQL,
  touchedActivityDaysSql,
  type ActivityTable,
} from '../sql/activity';
import {
  DAILY_TABLES,
  deleteChangedSuggestionsSql,
  deleteDailySql,
  insertDailySql,
  insertSuggestionsSql,
  suggestionChangesSql,
  type SuggestionScope,
} from '../sql/metrics';
import { toMicrosIso } from '../normalize/time';
import type { StateStore } from '../state/port';
import type { QueryParams, Warehouse } from '../warehouse/port';

/** Name of the lease and of the watermark in the state store. */
export const RECOMPUTE_JOB = 'recompute';
/**
 * Watermark set once the activity tables (interactions, daily_active_users) have been built in
 * full: a deployment that had them as views gets them filled by its next run, incremental or not.
 */
export const ACTIVITY_WATERMARK = 'recompute-activity';
/** A run holds the lease at most this long; a crashed run frees it after that. */
export const RECOMPUTE_LEASE_TTL_MS = 30 * 60 * 1000;
/**
 * The window starts this long before the watermark: a row whose ingest_time is just before
 * the previous run's end but that became visible after it (streaming) is still picked up.
 * Re-touching an unchanged suggestion writes nothing, so the overlap costs only reads.
 */
export const RECOMPUTE_OVERLAP_MS = 10 * 60 * 1000;
/**
 * Default event-day lookback on BigQuery (partition pruning); DuckDB looks at every day. Seven
 * days: the longest the dead-letter subscription may keep a message (deadLetterRetentionDays,
 * 1-7, default 3), so a replayed entry is at most that old
 * (older input, e.g. a backfilled export, needs a full rebuild anyway). The bytes every run
 * reads grow with lookback + SUGGESTION_SPAN_DAYS (docs/deploy.md, "What it costs"): 10 days of
 * partitions instead of the 29 of the former 14 + 14.
 */
export const DEFAULT_BIGQUERY_LOOKBACK_DAYS = 7;
/**
 * The longest gap we rebuild across between a suggestion's first and last event: with a
 * lookback, touched suggestions are rebuilt from events at most this long before the lookback's
 * start. Acceptances follow their exposure within seconds to hours; three days still covers a
 * suggestion shown on a Friday and accepted on the Monday. A suggestion spanning more is left
 * as stored by incremental runs and rebuilt by a full one (see the module comment).
 */
export const SUGGESTION_SPAN_DAYS = 3;
const DAY_MS = 86_400_000;

export interface RecomputeOptions {
  /** Rebuild every suggestion and every daily row. Also done when there is no watermark. */
  full?: boolean;
  /**
   * Only events whose event_timestamp is at most this many days before now are looked at to
   * find touched suggestions. Default: every day; callers pass the configured window (config:
   * DEFAULT_BIGQUERY_LOOKBACK_DAYS with BigQuery). With a lookback, touched suggestions are rebuilt
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
  /**
   * Day ranges of the activity tables (interactions, daily_active_users) rebuilt, as
   * `YYYY-MM-DD..YYYY-MM-DD` (one per delete+insert), sorted; a full rebuild is one range.
   */
  activityRanges: string[];
  /** The watermark after the run (unchanged when locked). */
  watermark: string | null;
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
    now: { type: 'TIMESTAMP', value: toMicrosIso(now) },
  };
  for (const table of DAILY_TABLES) {
    await warehouse.execute(deleteDailySql(table, 'param'), dayParams);
    await warehouse.execute(insertDailySql(table, 'param'), params);
  }
}

async function rebuildAllDays(warehouse: Warehouse, now: Date): Promise<void> {
  const params: QueryParams = { now: { type: 'TIMESTAMP', value: toMicrosIso(now) } };
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

const DAY = (day: string, offset: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);
const startOf = (day: string): string => toMicrosIso(new Date(`${day}T00:00:00Z`));

/**
 * The day ranges a table's rebuild covers for the touched days: each day widened by the
 * table's span (its row may sit on a neighbouring day, see ACTIVITY_SPAN_DAYS), overlapping or
 * adjacent ranges merged. One DELETE and one INSERT per range, each over a constant range.
 */
export function activityRanges(
  days: readonly string[],
  spanDays: number,
): { first: string; last: string }[] {
  const ranges: { first: string; last: string }[] = [];
  for (const day of [...days].sort()) {
    const first = DAY(day, -spanDays);
    const last = DAY(day, spanDays);
    const prev = ranges[ranges.length - 1];
    if (prev && first <= DAY(prev.last, 1)) prev.last = last > prev.last ? last : prev.last;
    else ranges.push({ first, last });
  }
  return ranges;
}

/**
 * Rebuilds one day range of an activity table: deletes its rows, inserts them computed from
 * the raw rows. `range` reads only the raw partitions of the days widened by the table's span;
 * `all` reads every raw row (a full rebuild, whose range is the raw tables' extent).
 */
async function rebuildActivityRange(
  warehouse: Warehouse,
  table: ActivityTable,
  range: { first: string; last: string },
  read: 'range' | 'all',
): Promise<void> {
  const days: QueryParams = {
    first_day: { type: 'DATE', value: range.first },
    last_day: { type: 'DATE', value: range.last },
  };
  const span = ACTIVITY_SPAN_DAYS[table];
  const reads: QueryParams =
    read === 'range'
      ? {
          read_from: { type: 'TIMESTAMP', value: startOf(DAY(range.first, -span)) },
          read_until: { type: 'TIMESTAMP', value: startOf(DAY(range.last, span + 1)) },
        }
      : {};
  await warehouse.execute(deleteActivitySql(table), days);
  await warehouse.execute(insertActivitySql(table, read), { ...days, ...reads });
}

/**
 * Rebuilds the activity tables (interactions, daily_active_users) for the days of the raw rows
 * ingested in the window (`since`, `until`, and `min_event_time` with a lookback), or in full
 * (every day the raw tables hold; older days are kept). Returns the ranges rebuilt. Idempotent.
 */
export async function rebuildActivity(
  warehouse: Warehouse,
  window: { params: QueryParams; lookback: boolean } | 'full',
): Promise<string[]> {
  const done: string[] = [];
  if (window === 'full') {
    const [extent] = await warehouse.query<{ first_day: string | null; last_day: string | null }>(
      RAW_DAY_EXTENT_SQL,
    );
    if (!extent?.first_day || !extent.last_day) return done;
    const range = { first: extent.first_day, last: extent.last_day };
    for (const table of ACTIVITY_TABLES) await rebuildActivityRange(warehouse, table, range, 'all');
    return [`${range.first}..${range.last}`];
  }
  const names = window.lookback ? ['since', 'until', 'min_event_time'] : ['since', 'until'];
  const params: QueryParams = Object.fromEntries(
    Object.entries(window.params).filter(([name]) => names.includes(name)),
  );
  const rows = await warehouse.query<{ day: string }>(
    touchedActivityDaysSql(window.lookback),
    params,
  );
  const touched = rows.map((r) => r.day);
  const all = new Set<string>();
  for (const table of ACTIVITY_TABLES) {
    for (const range of activityRanges(touched, ACTIVITY_SPAN_DAYS[table])) {
      await rebuildActivityRange(warehouse, table, range, 'range');
      all.add(`${range.first}..${range.last}`);
    }
  }
  return [...all].sort();
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
    now: { type: 'TIMESTAMP', value: toMicrosIso(now) },
  };
  const changes = await rebuildSuggestions(warehouse, { kind: 'users' }, params);
  await rebuildDays(warehouse, changes.days, now);
  return changes.days;
}

/**
 * Runs recompute once under the `recompute` lease: incremental from the watermark, or full.
 * Returns `locked` without doing anything when another run holds the lease.
 *
 * A job's entry: ports, options, a clock (as runRetention): alike by shape only.
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
    activityRanges: [],
    watermark: previous,
  };
  if (!lease) return result;
  try {
    const until = toMicrosIso(start);
    const nowParam = { type: 'TIMESTAMP' as const, value: until };
    let changes: ScopeChanges;
    let activity: string[];
    if (full) {
      changes = await rebuildSuggestions(deps.warehouse, { kind: 'all' }, { now: nowParam });
      await rebuildAllDays(deps.warehouse, start);
      activity = await rebuildActivity(deps.warehouse, 'full');
    } else {
      const lookbackDays = opts.lookbackDays;
      const since = new Date(Date.parse(previous ?? until) - RECOMPUTE_OVERLAP_MS);
      const params: QueryParams = {
        now: nowParam,
        since: { type: 'TIMESTAMP', value: toMicrosIso(since) },
        until: nowParam,
      };
      if (lookbackDays !== undefined) {
        const min = new Date(start.getTime() - lookbackDays * DAY_MS);
        const horizon = new Date(min.getTime() - SUGGESTION_SPAN_DAYS * DAY_MS);
        params.min_event_time = { type: 'TIMESTAMP', value: toMicrosIso(min) };
        params.rebuild_min_time = { type: 'TIMESTAMP', value: toMicrosIso(horizon) };
        // A DATE parameter for the day-partitioned table: a plain constant BigQuery prunes on.
        params.rebuild_min_day = { type: 'DATE', value: horizon.toISOString().slice(0, 10) };
      }
      const scope: SuggestionScope = { kind: 'window', lookback: lookbackDays !== undefined };
      changes = await rebuildSuggestions(deps.warehouse, scope, params);
      await rebuildDays(deps.warehouse, changes.days, start);
      activity =
        (await deps.state.getWatermark(ACTIVITY_WATERMARK)) === null
          ? await rebuildActivity(deps.warehouse, 'full')
          : await rebuildActivity(deps.warehouse, { params, lookback: scope.lookback });
    }
    await deps.state.setWatermark(ACTIVITY_WATERMARK, until);
    await deps.state.setWatermark(RECOMPUTE_JOB, until);
    return {
      ...result,
      status: 'done',
      touchedSuggestions: changes.touched,
      suggestionsRemoved: changes.removed,
      suggestionsWritten: changes.added,
      daysRebuilt: full ? await allDays(deps.warehouse) : changes.days,
      activityRanges: activity,
      watermark: until,
    };
  } finally {
    await deps.state.releaseLease(lease);
  }
}
