/**
 * The case the suggestions insert's guard exists for (shared/sql/metrics.ts, `guardedKeys`): an
 * event inside the lookback for a suggestion whose stored row is on a day before the read
 * horizon. The delete never sees that row (it reads the horizon's days only), so without the
 * guard the insert would give the suggestion a second row, rebuilt from part of its events.
 * Runs with the BigQuery default lookback, on DuckDB.
 */
import { join } from 'node:path';
import {
  DEFAULT_BIGQUERY_LOOKBACK_DAYS,
  SUGGESTION_SPAN_DAYS,
  runRecompute,
} from '../../../shared/jobs/recompute';
import { openLocalStateStore } from '../../../shared/state/local';
import type { StateStore } from '../../../shared/state/port';
import type { Warehouse } from '../../../shared/warehouse/port';
import { openTempWarehouse, type TempWarehouse } from '../../helpers/duckdb';
import { eventsBatch, type EventSpec } from '../../helpers/metadata-events';

const DAY_MS = 86_400_000;
const NOW = Date.parse('2025-11-20T12:00:00Z');
const daysAgo = (d: number): string => new Date(NOW - d * DAY_MS).toISOString();
/** The horizon's first day (`@rebuild_min_day`) of a run at NOW with the default lookback. */
const HORIZON_DAYS = DEFAULT_BIGQUERY_LOOKBACK_DAYS + SUGGESTION_SPAN_DAYS;
const FIRST_HORIZON_DAY = daysAgo(HORIZON_DAYS).slice(0, 10);

async function rows(w: Warehouse): Promise<Record<string, unknown>[]> {
  return w.query(
    'SELECT original_request_id, day, exposed, accepted, lines_accepted, exposure_events,' +
      ' acceptance_events FROM `gca_analytics.suggestions` ORDER BY ALL',
  );
}

async function daily(w: Warehouse): Promise<Record<string, unknown>[]> {
  return w.query(
    'SELECT day, exposed, accepted, orphan_acceptances FROM `gca_analytics.acceptance_daily` ORDER BY ALL',
  );
}

describe('recompute insert guard: a stored suggestion before the horizon gets a late event', () => {
  let temp: TempWarehouse;
  let state: StateStore;
  beforeEach(async () => {
    temp = await openTempWarehouse();
    state = await openLocalStateStore(join(temp.dir, 'state.json'));
  });
  afterEach(async () => {
    await state.close();
    await temp.cleanup();
  });

  const run = (at: number, full = false) =>
    runRecompute(
      { warehouse: temp.warehouse, state, now: () => new Date(at) },
      full ? { full: true } : { lookbackDays: DEFAULT_BIGQUERY_LOOKBACK_DAYS },
    );

  /** Stores `events` with a full run just after them, then adds `late` and runs incrementally. */
  async function storeThenLate(events: EventSpec[], late: EventSpec[]) {
    await temp.warehouse.insertRaw(eventsBatch(events));
    const stored = await run(Date.parse(events[events.length - 1]?.at ?? '') + 3_600_000, true);
    expect(stored).toMatchObject({ status: 'done', mode: 'full' });
    const before = { rows: await rows(temp.warehouse), daily: await daily(temp.warehouse) };
    await temp.warehouse.insertRaw(eventsBatch(late));
    const result = await run(NOW);
    return { before, result };
  }

  it.each<[string, number]>([
    ['the day just before the horizon', HORIZON_DAYS + 1],
    ['a day months before the horizon', 120],
  ])(
    'keeps one row, as stored, for a suggestion exposed on %s and accepted now',
    async (_when, age) => {
      const exposedAt = daysAgo(age);
      expect(exposedAt.slice(0, 10) < FIRST_HORIZON_DAY).toBe(true);
      const { before, result } = await storeThenLate(
        [{ type: 'code_exposure', id: 'old', at: exposedAt }],
        [
          { type: 'code_acceptance', id: 'old', at: daysAgo(0.2), lines: 4 },
          // A new suggestion in the same window is written as usual.
          { type: 'code_exposure', id: 'new', at: daysAgo(0.3) },
        ],
      );
      expect(before.rows).toMatchObject([
        { original_request_id: 'old', day: exposedAt.slice(0, 10), accepted: false },
      ]);
      expect(result).toMatchObject({ status: 'done', mode: 'incremental', suggestionsWritten: 1 });
      const after = await rows(temp.warehouse);
      expect(after.filter((r) => r.original_request_id === 'old')).toEqual(before.rows);
      expect(after.filter((r) => r.original_request_id === 'new')).toMatchObject([
        { day: daysAgo(0.3).slice(0, 10), exposed: true, accepted: false },
      ]);
      // No orphan acceptance counted today, and the exposure's day is as it was.
      const dailyAfter = await daily(temp.warehouse);
      expect(dailyAfter.every((r) => r.orphan_acceptances === 0)).toBe(true);
      expect(dailyAfter.filter((r) => r.day === exposedAt.slice(0, 10))).toEqual(before.daily);

      // A full rebuild reads every event: one row, on the exposure's day, accepted.
      await run(NOW + 3_600_000, true);
      expect(
        (await rows(temp.warehouse)).filter((r) => r.original_request_id === 'old'),
      ).toMatchObject([{ day: exposedAt.slice(0, 10), exposed: true, accepted: true }]);
    },
  );

  it('keeps one row for an orphan acceptance stored before the horizon whose exposure comes now', async () => {
    // The rebuilt row would sit on today's exposure: a day the delete reads, but not the stored one's.
    const acceptedAt = daysAgo(HORIZON_DAYS + 5);
    const { before, result } = await storeThenLate(
      [{ type: 'code_acceptance', id: 'orphan', at: acceptedAt, lines: 2 }],
      [{ type: 'code_exposure', id: 'orphan', at: daysAgo(0.1) }],
    );
    expect(before.rows).toMatchObject([
      { original_request_id: 'orphan', day: acceptedAt.slice(0, 10), exposed: false },
    ]);
    expect(result).toMatchObject({ status: 'done', suggestionsRemoved: 0, suggestionsWritten: 0 });
    expect(await rows(temp.warehouse)).toEqual(before.rows);
    expect(await daily(temp.warehouse)).toEqual(before.daily);
  });
});
