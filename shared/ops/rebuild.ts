/**
 * After an operating path wrote rows (backfill, quarantine reprocess), rebuild the figures of the
 * days it touched. The incremental recompute finds new rows by ingest_time, but only among events
 * inside its lookback (DEFAULT_BIGQUERY_LOOKBACK_DAYS of events on BigQuery, every day on DuckDB); rows older than that
 * need a full rebuild.
 */
import {
  DEFAULT_BIGQUERY_LOOKBACK_DAYS,
  runRecompute,
  type RecomputeResult,
} from '../jobs/recompute';
import type { StateStore } from '../state/port';
import type { Warehouse } from '../warehouse/port';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * True when an incremental recompute at `now` sees every day of `days` (YYYY-MM-DD), with its
 * lookback: `lookbackDays` (null: every day), or when not given the default of
 * recomputeLookbackFor (DEFAULT_BIGQUERY_LOOKBACK_DAYS on BigQuery, every day on DuckDB).
 *
 * That run reads events from the instant `now - lookback` on (`@min_event_time`), not from the
 * start of that instant's day: the day holding it (the horizon day) is read only in part, so
 * only the days after it are reached (at midnight exactly the horizon day is still counted out:
 * a full rebuild where an incremental one would have done).
 */
export function incrementalReaches(
  engine: Warehouse['engine'],
  days: readonly string[],
  now: Date,
  lookbackDays?: number | null,
): boolean {
  const lookback =
    lookbackDays !== undefined
      ? lookbackDays
      : engine === 'bigquery'
        ? DEFAULT_BIGQUERY_LOOKBACK_DAYS
        : null;
  if (lookback === null || days.length === 0) return true;
  const horizon = new Date(now.getTime() - lookback * DAY_MS).toISOString().slice(0, 10);
  const oldest = [...days].sort()[0] as string;
  return oldest > horizon;
}

export interface TouchedRebuild {
  result: RecomputeResult;
  /** True when a full rebuild was chosen because a day was beyond the incremental horizon. */
  full: boolean;
}

/**
 * Recomputes after writing rows of `days`: incremental when its horizon reaches them, else full.
 * `lookbackDays` is the configured lookback (recomputeLookbackFor; null: every day), the one the
 * incremental run then uses too. `locked` when another recompute holds the lease (the caller
 * says so; the next run catches up).
 */
export async function rebuildTouchedDays(
  deps: { warehouse: Warehouse; state: StateStore; now: () => Date },
  days: readonly string[],
  opts: { lookbackDays: number | null; forceFull?: boolean },
): Promise<TouchedRebuild> {
  // One instant for the choice and the run, so the run's window starts where the choice assumed.
  const now = deps.now();
  const full =
    opts.forceFull === true ||
    !incrementalReaches(deps.warehouse.engine, days, now, opts.lookbackDays);
  const result = await runRecompute(
    { ...deps, now: () => now },
    {
      full,
      ...(opts.lookbackDays !== null ? { lookbackDays: opts.lookbackDays } : {}),
    },
  );
  return { result, full };
}
