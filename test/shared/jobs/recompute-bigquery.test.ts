/**
 * An hourly incremental recompute through the real BigQuery adapter and client, against the
 * local fake endpoint: every statement that reads the raw events is bounded by the read
 * horizon, with the horizon's parameters computed from the clock (the lookback configured for
 * BigQuery by default, plus SUGGESTION_SPAN_DAYS); the activity tables are rebuilt for constant
 * day ranges.
 */
import { parseConfig } from '../../../shared/config';
import {
  ACTIVITY_WATERMARK,
  DEFAULT_BIGQUERY_LOOKBACK_DAYS,
  RECOMPUTE_JOB,
  SUGGESTION_SPAN_DAYS,
  runRecompute,
} from '../../../shared/jobs/recompute';
import {
  paramsOf,
  startFakeBigQueryJobSetup,
  type FakeBigQueryJobSetup,
  type QueryRequestInfo,
} from '../../helpers/fake-bigquery';

const NOW = new Date('2026-03-01T12:00:00Z');

describe('runRecompute on the BigQuery adapter (fake endpoint)', () => {
  let bq: FakeBigQueryJobSetup;

  beforeEach(async () => {
    bq = await startFakeBigQueryJobSetup();
    bq.fake.onQuery((q) => {
      if (/^WITH touched AS/.test(q.query)) {
        // The changes query: something to delete and to insert, so every statement runs.
        return {
          fields: [
            { name: 'change', type: 'STRING' },
            { name: 'day', type: 'DATE' },
            { name: 'n', type: 'INT64' },
          ],
          rows: [
            ['touched', null, '3'],
            ['removed', '2026-02-28', '1'],
            ['added', '2026-03-01', '2'],
          ],
        };
      }
      if (/^SELECT day FROM \(/.test(q.query)) {
        // The activity tables' touched days: yesterday (a late entry) and today.
        return {
          fields: [{ name: 'day', type: 'DATE' }],
          rows: [['2026-02-28'], ['2026-03-01']],
        };
      }
      if (/^\s*DELETE/.test(q.query)) return { numDmlAffectedRows: 1 };
      if (/^\s*INSERT/.test(q.query)) return { numDmlAffectedRows: 2 };
      return { fields: [], rows: [] };
    });
  });
  afterEach(() => bq.close());

  it('bounds every read of metadata_events and suggestions by the horizon parameters', async () => {
    await bq.state.setWatermark(RECOMPUTE_JOB, '2026-03-01T11:00:00.000000Z');
    await bq.state.setWatermark(ACTIVITY_WATERMARK, '2026-03-01T11:00:00.000000Z');
    // The window a deployed function passes: configuration's default for BigQuery.
    const config = parseConfig({ GCA_WAREHOUSE: 'bigquery', GOOGLE_CLOUD_PROJECT: 'acme' });
    expect(config.recomputeLookbackDays).toBe(DEFAULT_BIGQUERY_LOOKBACK_DAYS);
    const result = await runRecompute(
      { warehouse: bq.warehouse, state: bq.state, now: () => NOW },
      { lookbackDays: config.recomputeLookbackDays ?? undefined },
    );
    expect(result).toMatchObject({ status: 'done', mode: 'incremental', suggestionsWritten: 2 });

    const rebuild = bq.fake.queries.filter(
      (q) =>
        q.query.includes('gca_raw.metadata_events') &&
        q.query.includes('gca_analytics.suggestions'),
    );
    expect(rebuild.map((q) => /^\s*(\w+)/.exec(q.query)?.[1])).toEqual([
      'WITH',
      'DELETE',
      'INSERT',
    ]);
    const lookback = new Date(NOW.getTime() - DEFAULT_BIGQUERY_LOOKBACK_DAYS * 86_400_000);
    const horizon = new Date(lookback.getTime() - SUGGESTION_SPAN_DAYS * 86_400_000);
    for (const q of rebuild) {
      expect(q.query).toContain('AND m.event_timestamp >= @rebuild_min_time');
      expect(q.query).toContain('AND event_timestamp >= @min_event_time');
      expect(q.query).toMatch(/day >= @rebuild_min_day/);
      expect(paramsOf(q)).toMatchObject({
        min_event_time: { type: 'TIMESTAMP', value: '2026-02-22T12:00:00.000000Z' },
        rebuild_min_time: {
          type: 'TIMESTAMP',
          value: horizon.toISOString().replace('.000Z', '.000000Z'),
        },
        rebuild_min_day: { type: 'DATE', value: horizon.toISOString().slice(0, 10) },
      });
    }
    // The daily tables are rebuilt for the changed days, with their range as a constant filter.
    const daily = bq.fake.queries.filter((q) =>
      /gca_analytics\.(acceptance|lines_accepted)_daily/.test(q.query),
    );
    expect(daily).toHaveLength(4);
    for (const q of daily) {
      expect(q.query).toContain('day >= @first_day AND day <= @last_day AND day IN UNNEST(@days)');
      expect(paramsOf(q)).toMatchObject({
        first_day: { type: 'DATE', value: '2026-02-28' },
        last_day: { type: 'DATE', value: '2026-03-01' },
      });
    }
    // The delete only touches the horizon's partitions.
    expect(rebuild[1]?.query).toMatch(
      /^DELETE FROM `gca-test\.gca_analytics\.suggestions`\nWHERE day >= @rebuild_min_day AND /,
    );

    // Activity: the touched days are found within the lookback; each table is rebuilt for one
    // constant range (the touched days widened by its span), reading only that range's raw days.
    const touched = bq.fake.queries.filter((q) => /^SELECT day FROM \(/.test(q.query));
    expect(touched).toHaveLength(1);
    expect(touched[0]?.query.match(/event_timestamp >= @min_event_time/g)).toHaveLength(3);
    const activity = bq.fake.queries.filter((q) =>
      /gca_analytics\.(interactions|daily_active_users)/.test(q.query),
    );
    expect(
      activity.map((q) => [/^\s*(\w+)/.exec(q.query)?.[1], paramsOf(q).first_day?.value]),
    ).toEqual([
      ['DELETE', '2026-02-27'],
      ['INSERT', '2026-02-27'],
      ['DELETE', '2026-02-28'],
      ['INSERT', '2026-02-28'],
    ]);
    expect(paramsOf(activity[1] as QueryRequestInfo)).toMatchObject({
      last_day: { type: 'DATE', value: '2026-03-02' },
      read_from: { type: 'TIMESTAMP', value: '2026-02-26T00:00:00.000000Z' },
      read_until: { type: 'TIMESTAMP', value: '2026-03-04T00:00:00.000000Z' },
    });
    expect(paramsOf(activity[3] as QueryRequestInfo)).toMatchObject({
      last_day: { type: 'DATE', value: '2026-03-01' },
      read_from: { type: 'TIMESTAMP', value: '2026-02-28T00:00:00.000000Z' },
      read_until: { type: 'TIMESTAMP', value: '2026-03-02T00:00:00.000000Z' },
    });
    for (const q of activity.filter((a) => a.query.startsWith('INSERT'))) {
      const reads = q.query.match(/FROM `gca-test\.gca_raw\.\w+`/g) ?? [];
      expect(reads.length).toBeGreaterThan(0);
      expect(
        q.query.match(/event_timestamp >= @read_from AND event_timestamp < @read_until/g),
      ).toHaveLength(reads.length);
    }
  });
});
