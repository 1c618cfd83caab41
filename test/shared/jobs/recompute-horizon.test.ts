/**
 * The incremental run's read horizon (@rebuild_min_time = @min_event_time - SUGGESTION_SPAN):
 * a touched suggestion whose stored row has an event before the horizon is left to a full
 * rebuild instead of being rebuilt from the events inside it.
 */
import {
  DEFAULT_BIGQUERY_LOOKBACK_DAYS,
  SUGGESTION_SPAN_DAYS,
  runRecompute,
} from '../../../shared/jobs/recompute';
import type { Warehouse } from '../../../shared/warehouse/port';
import { useTempJobSetup } from '../../helpers/duckdb';
import { eventsBatch, type EventSpec } from '../../helpers/metadata-events';

const NOW = Date.parse('2025-11-20T12:00:00Z');
const daysAgo = (d: number): string => new Date(NOW - d * 86_400_000).toISOString();

async function suggestions(w: Warehouse): Promise<Record<string, unknown>[]> {
  return w.query(
    'SELECT original_request_id, day, exposed, accepted, lines_accepted, first_exposure_time,' +
      ' first_acceptance_time, updated_at FROM `gca_analytics.suggestions` ORDER BY ALL',
  );
}

async function acceptance(w: Warehouse): Promise<Record<string, unknown>[]> {
  return w.query(
    'SELECT day, kind, exposed, accepted, orphan_acceptances FROM `gca_analytics.acceptance_daily` ORDER BY ALL',
  );
}

describe('recompute read horizon (DuckDB)', () => {
  const temp = useTempJobSetup();

  const run = (at: number, opts: { full?: boolean; lookbackDays?: number } = {}) =>
    runRecompute({ warehouse: temp.warehouse, state: temp.state, now: () => new Date(at) }, opts);

  it('leaves a stored suggestion older than the horizon untouched; a full rebuild accepts it on its day', async () => {
    const exposedAt = daysAgo(40);
    const exposureDay = exposedAt.slice(0, 10);
    await temp.warehouse.insertRaw(
      eventsBatch([{ type: 'code_exposure', id: 'old', at: exposedAt, ingestedAt: exposedAt }]),
    );
    // The earlier run that stored it (the first run is full).
    const first = await run(NOW - 40 * 86_400_000 + 3_600_000);
    expect(first).toMatchObject({ status: 'done', suggestionsWritten: 1 });
    const stored = await suggestions(temp.warehouse);
    const daily = await acceptance(temp.warehouse);
    expect(stored).toMatchObject([
      { original_request_id: 'old', day: exposureDay, accepted: false },
    ]);

    // A late acceptance now, and a new suggestion inside the horizon.
    await temp.warehouse.insertRaw(
      eventsBatch([
        {
          type: 'code_acceptance',
          id: 'old',
          at: daysAgo(0.1),
          lines: 4,
          ingestedAt: daysAgo(0.05),
        },
        { type: 'code_exposure', id: 'new', at: daysAgo(0.2), ingestedAt: daysAgo(0.05) },
        {
          type: 'code_acceptance',
          id: 'new',
          at: daysAgo(0.15),
          lines: 2,
          ingestedAt: daysAgo(0.05),
        },
      ]),
    );
    const incremental = await run(NOW, { lookbackDays: 14 });
    expect(incremental).toMatchObject({
      status: 'done',
      mode: 'incremental',
      // `old` is looked at (its new acceptance is in the window) but only `new` is written.
      touchedSuggestions: 2,
      suggestionsRemoved: 0,
      suggestionsWritten: 1,
      daysRebuilt: [daysAgo(0.2).slice(0, 10)],
    });
    const after = await suggestions(temp.warehouse);
    // The old row is exactly as stored: not rebuilt as an orphan acceptance, not duplicated.
    expect(after.filter((r) => r.original_request_id === 'old')).toEqual(stored);
    expect(after.filter((r) => r.original_request_id === 'new')).toMatchObject([
      { accepted: true, exposed: true, lines_accepted: 2 },
    ]);
    const dailyAfter = await acceptance(temp.warehouse);
    expect(dailyAfter.filter((r) => r.day === exposureDay)).toEqual(daily);
    expect(dailyAfter.every((r) => r.orphan_acceptances === 0)).toBe(true);

    // A full rebuild reads every event: the acceptance counts on the exposure's day.
    await run(NOW + 3_600_000, { full: true });
    const full = await suggestions(temp.warehouse);
    expect(full.filter((r) => r.original_request_id === 'old')).toMatchObject([
      { day: exposureDay, exposed: true, accepted: true, lines_accepted: 4 },
    ]);
    expect((await acceptance(temp.warehouse)).find((r) => r.day === exposureDay)).toMatchObject({
      exposed: 1,
      accepted: 1,
      orphan_acceptances: 0,
    });
  });

  it('leaves a stored row untouched whose acceptance came before the horizon but exposure after', async () => {
    // Stored day is the exposure's (inside the horizon), its first acceptance is outside.
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_acceptance', id: 'x', at: daysAgo(35), lines: 3, ingestedAt: daysAgo(1) },
        // Inside the horizon: 14 days of lookback + SUGGESTION_SPAN_DAYS.
        { type: 'code_exposure', id: 'x', at: daysAgo(15), ingestedAt: daysAgo(1) },
      ]),
    );
    await run(NOW - 86_400_000 + 3_600_000);
    const stored = await suggestions(temp.warehouse);
    expect(stored).toMatchObject([{ original_request_id: 'x', accepted: true, lines_accepted: 3 }]);
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id: 'x', at: daysAgo(0.1), ingestedAt: daysAgo(0.05) },
      ]),
    );
    const incremental = await run(NOW, { lookbackDays: 14 });
    expect(incremental).toMatchObject({ touchedSuggestions: 0, suggestionsWritten: 0 });
    expect(await suggestions(temp.warehouse)).toEqual(stored);
  });

  it('builds a new suggestion from its events inside the horizon only; a full rebuild reads the rest', async () => {
    // Backfilled late: an exposure from before the horizon arrives with a recent acceptance.
    await run(NOW - 3_600_000); // the first (full) run, on an empty warehouse
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id: 'b', at: daysAgo(35), ingestedAt: daysAgo(0.01) },
        { type: 'code_acceptance', id: 'b', at: daysAgo(0.1), lines: 5, ingestedAt: daysAgo(0.01) },
      ]),
    );
    await run(NOW, { lookbackDays: 14 });
    // The exposure is outside the horizon: the incremental run sees an orphan acceptance.
    expect(await suggestions(temp.warehouse)).toMatchObject([
      { original_request_id: 'b', day: daysAgo(0.1).slice(0, 10), exposed: false, accepted: true },
    ]);
    await run(NOW + 3_600_000, { full: true });
    expect(await suggestions(temp.warehouse)).toMatchObject([
      { original_request_id: 'b', day: daysAgo(35).slice(0, 10), exposed: true, accepted: true },
    ]);
  });
  // The case the insert's guard on older days exists for (shared/sql/metrics.ts, `guardedKeys`),
  // with the BigQuery default lookback: the delete never sees a row stored before the horizon,
  // so without the guard the insert would give such a suggestion a second row.
  describe('a late event for a suggestion stored before the horizon (default lookback)', () => {
    const HORIZON_DAYS = DEFAULT_BIGQUERY_LOOKBACK_DAYS + SUGGESTION_SPAN_DAYS;
    /** The horizon's first day (`@rebuild_min_day`) of a run at NOW. */
    const FIRST_HORIZON_DAY = daysAgo(HORIZON_DAYS).slice(0, 10);

    /** Stores `events` with a full run after them, adds `late`, runs incrementally at NOW. */
    async function storeThenLate(events: EventSpec[], late: EventSpec[]) {
      await temp.warehouse.insertRaw(eventsBatch(events));
      const last = Date.parse(events[events.length - 1]?.at ?? '');
      expect(await run(last + 3_600_000)).toMatchObject({ status: 'done', mode: 'full' });
      const before = {
        rows: await suggestions(temp.warehouse),
        daily: await acceptance(temp.warehouse),
      };
      await temp.warehouse.insertRaw(eventsBatch(late));
      const result = await run(NOW, { lookbackDays: DEFAULT_BIGQUERY_LOOKBACK_DAYS });
      return { before, result };
    }

    it.each<[string, number]>([
      ['the day just before the horizon', HORIZON_DAYS + 1],
      ['a day months before the horizon', 120],
    ])(
      'keeps one row, as stored, for a suggestion exposed on %s and accepted now',
      async (_when, age) => {
        const exposureDay = daysAgo(age).slice(0, 10);
        expect(exposureDay < FIRST_HORIZON_DAY).toBe(true);
        const { before, result } = await storeThenLate(
          [{ type: 'code_exposure', id: 'old', at: daysAgo(age) }],
          [
            { type: 'code_acceptance', id: 'old', at: daysAgo(0.2), lines: 4 },
            // A new suggestion in the same window is written as usual.
            { type: 'code_exposure', id: 'new', at: daysAgo(0.3) },
          ],
        );
        expect(before.rows).toMatchObject([{ original_request_id: 'old', day: exposureDay }]);
        expect(result).toMatchObject({
          status: 'done',
          mode: 'incremental',
          suggestionsWritten: 1,
        });
        const after = await suggestions(temp.warehouse);
        expect(after.filter((r) => r.original_request_id === 'old')).toEqual(before.rows);
        expect(after.filter((r) => r.original_request_id === 'new')).toMatchObject([
          { day: daysAgo(0.3).slice(0, 10), exposed: true, accepted: false },
        ]);
        const daily = await acceptance(temp.warehouse);
        expect(daily.every((r) => r.orphan_acceptances === 0)).toBe(true);
        expect(daily.filter((r) => r.day === exposureDay)).toEqual(before.daily);

        // A full rebuild reads every event: one row, on the exposure's day, accepted.
        await run(NOW + 3_600_000, { full: true });
        expect(
          (await suggestions(temp.warehouse)).filter((r) => r.original_request_id === 'old'),
        ).toMatchObject([{ day: exposureDay, exposed: true, accepted: true }]);
      },
    );

    it('keeps one row for an orphan acceptance stored before the horizon whose exposure comes now', async () => {
      // The rebuilt row would sit on today's exposure, a day the delete reads; the stored one is not.
      const acceptedAt = daysAgo(HORIZON_DAYS + 5);
      const { before, result } = await storeThenLate(
        [{ type: 'code_acceptance', id: 'orphan', at: acceptedAt, lines: 2 }],
        [{ type: 'code_exposure', id: 'orphan', at: daysAgo(0.1) }],
      );
      expect(before.rows).toMatchObject([
        { original_request_id: 'orphan', day: acceptedAt.slice(0, 10), exposed: false },
      ]);
      expect(result).toMatchObject({
        status: 'done',
        suggestionsRemoved: 0,
        suggestionsWritten: 0,
      });
      expect(await suggestions(temp.warehouse)).toEqual(before.rows);
      expect(await acceptance(temp.warehouse)).toEqual(before.daily);
    });
  });
});
