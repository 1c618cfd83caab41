/**
 * rebuildTouchedDays: incremental only when the incremental run's lookback reaches every touched
 * row. That run filters on an instant (`event_timestamp >= now - lookback`), so the day holding
 * that instant is only partly covered: touching it needs a full rebuild.
 */
import { runRecompute } from '../../../shared/jobs/recompute';
import { incrementalReaches, rebuildTouchedDays } from '../../../shared/ops/rebuild';
import { useTempJobSetup } from '../../helpers/duckdb';
import { eventsBatch } from '../../helpers/metadata-events';

const NOW = new Date('2025-11-20T12:00:00Z');
const HOUR_MS = 3_600_000;

describe('incrementalReaches at the edge of the lookback', () => {
  it('counts the day holding now - lookback as out of reach', () => {
    // now - 7 days = 2025-11-13T12:00Z: the morning of 2025-11-13 is not read.
    expect(incrementalReaches('duckdb', ['2025-11-13'], NOW, 7)).toBe(false);
    expect(incrementalReaches('duckdb', ['2025-11-14'], NOW, 7)).toBe(true);
    expect(incrementalReaches('duckdb', ['2025-11-20', '2025-11-13'], NOW, 7)).toBe(false);
    expect(incrementalReaches('bigquery', ['2025-11-13'], NOW)).toBe(false);
    expect(incrementalReaches('bigquery', ['2025-11-14'], NOW)).toBe(true);
    // At midnight exactly the day would just be covered; it is still counted out (a full
    // rebuild where an incremental one would have done).
    const midnight = new Date('2025-11-20T00:00:00Z');
    expect(incrementalReaches('duckdb', ['2025-11-13'], midnight, 7)).toBe(false);
    expect(incrementalReaches('duckdb', ['2025-11-14'], midnight, 7)).toBe(true);
    // Just before midnight: now - lookback is late on the 12th; the 13th is wholly inside.
    const late = new Date('2025-11-19T23:59:59.999Z');
    expect(incrementalReaches('duckdb', ['2025-11-13'], late, 7)).toBe(true);
    expect(incrementalReaches('duckdb', ['2025-11-12'], late, 7)).toBe(false);
    // No lookback: every day is read.
    expect(incrementalReaches('duckdb', ['2025-11-13'], NOW, null)).toBe(true);
    expect(incrementalReaches('duckdb', [], NOW, 7)).toBe(true);
  });
});

describe('rebuildTouchedDays (DuckDB)', () => {
  const temp = useTempJobSetup();
  const deps = (at: Date) => ({ warehouse: temp.warehouse, state: temp.state, now: () => at });

  async function acceptanceOf(day: string) {
    return temp.warehouse.query(
      'SELECT exposed, accepted FROM `gca_analytics.acceptance_daily` WHERE day = @day',
      { day: { type: 'DATE', value: day } },
    );
  }

  /**
   * After an earlier run set the watermark (so the next one may be incremental), a backfill
   * writes now one suggestion: exposed at `day`T`time`, accepted 5 seconds later.
   */
  async function backfilled(id: string, day: string, time: string): Promise<void> {
    await runRecompute(deps(new Date(NOW.getTime() - HOUR_MS)), { lookbackDays: 7 });
    const ingestedAt = new Date(NOW.getTime() - 60_000).toISOString();
    const at = new Date(`${day}T${time}Z`);
    const later = new Date(at.getTime() + 5_000).toISOString();
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id, at: at.toISOString(), ingestedAt },
        { type: 'code_acceptance', id, at: later, lines: 1, ingestedAt },
      ]),
    );
  }

  it('rebuilds in full a day the lookback covers only in part', async () => {
    // On the morning of the day holding now - 7 days.
    await backfilled('m', '2025-11-13', '08:00:00');
    const rebuilt = await rebuildTouchedDays(deps(NOW), ['2025-11-13'], { lookbackDays: 7 });
    // The figures of that day are there (an incremental run would not see these rows, and once
    // their ingest_time leaves its window, never).
    expect(await acceptanceOf('2025-11-13')).toMatchObject([{ exposed: 1, accepted: 1 }]);
    expect(rebuilt).toMatchObject({ full: true, result: { status: 'done', mode: 'full' } });
    expect(rebuilt.result.daysRebuilt).toContain('2025-11-13');
  });

  it('stays incremental for days wholly inside the lookback', async () => {
    await backfilled('n', '2025-11-14', '00:00:00');
    const rebuilt = await rebuildTouchedDays(deps(NOW), ['2025-11-14'], { lookbackDays: 7 });
    expect(rebuilt).toMatchObject({ full: false, result: { status: 'done', mode: 'incremental' } });
    expect(await acceptanceOf('2025-11-14')).toMatchObject([{ exposed: 1, accepted: 1 }]);
  });
});
