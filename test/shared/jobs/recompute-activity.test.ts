/**
 * The activity tables (interactions, daily_active_users) maintained by recompute, on DuckDB.
 * The oracle is the SQL of the views they replace, copied here verbatim: after any sequence of
 * ingests, late entries, redeliveries, incremental and full runs, each table must hold exactly
 * what that view returns over the same raw rows (run on DuckDB as the adapter renders it).
 */
import { eraseUsers } from '../../../shared/jobs/erasure';
import {
  ACTIVITY_WATERMARK,
  RECOMPUTE_JOB,
  activityRanges,
  runRecompute,
} from '../../../shared/jobs/recompute';
import type { NormalizeContext } from '../../../shared/normalize/outcome';
import { ingestRecords, type RawRecord } from '../../../shared/pipeline/ingest';
import { generateSample, type SampleEntry } from '../../../cli/sample/generate';
import type { Warehouse } from '../../../shared/warehouse/port';
import { openTempJobSetup, type TempJobSetup } from '../../helpers/duckdb';
import { batchOf, makeRequest, makeResponse, ts } from '../../helpers/metadata-events';

/** The `interactions` view as it was (BigQuery SQL), the oracle. */
const OLD_INTERACTIONS = `
WITH req AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version, request_kind, prompt_chars,
    ARRAY_LENGTH(context_files) AS context_file_count,
    ARRAY_LENGTH(tool_results) AS tool_result_count
  FROM \`gca_raw.requests\`
  WHERE request_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
resp AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version, response_kind, response_chars, tool_calls
  FROM \`gca_raw.responses\`
  WHERE request_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
api AS (
  SELECT request_id, event_timestamp, user_id, project_id, product, method, client_name,
    client_version
  FROM \`gca_raw.metadata_events\`
  WHERE event_type = 'api_request' AND request_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY event_timestamp, entry_key) = 1
),
ids AS (
  SELECT request_id FROM (
    SELECT request_id FROM req
    UNION ALL SELECT request_id FROM resp
    UNION ALL SELECT request_id FROM api
  ) AS all_ids
  GROUP BY request_id
)
SELECT
  ids.request_id AS request_id,
  DATE(COALESCE(req.event_timestamp, resp.event_timestamp, api.event_timestamp)) AS day,
  COALESCE(req.user_id, resp.user_id, api.user_id) AS user_id,
  COALESCE(req.project_id, resp.project_id, api.project_id) AS project_id,
  COALESCE(req.product, resp.product, api.product) AS product,
  COALESCE(req.method, resp.method, api.method) AS method,
  COALESCE(req.client_name, resp.client_name, api.client_name) AS client_name,
  COALESCE(req.client_version, resp.client_version, api.client_version) AS client_version,
  req.request_kind AS request_kind,
  resp.response_kind AS response_kind,
  req.event_timestamp AS request_time,
  resp.event_timestamp AS response_time,
  CAST(UNIX_MICROS(resp.event_timestamp) - UNIX_MICROS(req.event_timestamp) AS FLOAT64) / 1000
    AS latency_ms,
  req.prompt_chars AS prompt_chars,
  resp.response_chars AS response_chars,
  req.context_file_count AS context_file_count,
  req.tool_result_count AS tool_result_count,
  ARRAY_LENGTH(resp.tool_calls) AS tool_call_count,
  ARRAY(SELECT tc.name FROM UNNEST(resp.tool_calls) AS tc WITH OFFSET AS pos ORDER BY pos)
    AS tool_names,
  api.request_id IS NOT NULL AS has_api_request
FROM ids
LEFT JOIN req ON req.request_id = ids.request_id
LEFT JOIN resp ON resp.request_id = ids.request_id
LEFT JOIN api ON api.request_id = ids.request_id
`;

/** The `daily_active_users` view as it was, the oracle. */
const OLD_DAILY_ACTIVE_USERS = `
WITH activity AS (
  SELECT DATE(event_timestamp) AS day, user_id, entry_key, TRUE AS is_request,
    CAST(NULL AS STRING) AS suggestion, FALSE AS is_exposure, FALSE AS is_acceptance
  FROM \`gca_raw.requests\`
  WHERE user_id IS NOT NULL
  UNION ALL
  SELECT DATE(event_timestamp) AS day, user_id, entry_key, FALSE AS is_request,
    IF(original_request_id IS NULL, NULL,
      CONCAT(IF(event_type IN ('code_exposure', 'code_acceptance'), 'code', 'chat'), ':',
        original_request_id)) AS suggestion,
    event_type IN ('code_exposure', 'chat_exposure') AS is_exposure,
    event_type IN ('code_acceptance', 'chat_acceptance') AS is_acceptance
  FROM \`gca_raw.metadata_events\`
  WHERE user_id IS NOT NULL
)
SELECT
  day,
  user_id,
  COUNT(DISTINCT IF(is_request, entry_key, NULL)) AS requests,
  COUNT(DISTINCT IF(is_exposure, suggestion, NULL)) AS suggestions_exposed,
  COUNT(DISTINCT IF(is_acceptance, suggestion, NULL)) AS suggestions_accepted
FROM activity
GROUP BY day, user_id
`;

const ORACLES = { interactions: OLD_INTERACTIONS, daily_active_users: OLD_DAILY_ACTIVE_USERS };
type Activity = keyof typeof ORACLES;

async function tableRows(w: Warehouse, table: Activity): Promise<unknown[]> {
  return w.query(`SELECT * FROM \`gca_analytics.${table}\` ORDER BY ALL`);
}

async function oracleRows(w: Warehouse, table: Activity): Promise<unknown[]> {
  // The old view's text runs through the same renderer the adapter applies.
  return w.query(`SELECT * FROM (${ORACLES[table]}) AS v ORDER BY ALL`);
}

async function expectOracle(w: Warehouse): Promise<void> {
  for (const table of ['interactions', 'daily_active_users'] as const) {
    const rows = await tableRows(w, table);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toEqual(await oracleRows(w, table));
  }
}

function records(entries: SampleEntry[], tag: string): RawRecord[] {
  return entries.map((e, i) => ({ text: JSON.stringify(e), source: `file:${tag}#${i + 1}` }));
}

const ctxAt = (ingestTime: string): { context: NormalizeContext } => ({
  context: { ingestTime, contentMode: 'scrubbed' },
});

/** The sample: 8 users, 7 days from 2025-10-06, redeliveries and late acceptances included. */
function sample(): SampleEntry[] {
  return [...generateSample({ seed: 7, users: 8, days: 7, duplicateRate: 0.05 })];
}

function timestampOf(e: SampleEntry): string {
  return String(e.timestamp);
}

describe('activity tables maintained by recompute (DuckDB)', () => {
  let temp: TempJobSetup;
  beforeEach(async () => {
    temp = await openTempJobSetup();
  });
  afterEach(() => temp.cleanup());

  const run = (at: string, opts: { full?: boolean; lookbackDays?: number } = {}) =>
    runRecompute({ warehouse: temp.warehouse, state: temp.state, now: () => new Date(at) }, opts);

  it('a full rebuild equals the old views on the sample data', async () => {
    const entries = sample();
    await ingestRecords(records(entries, 'all'), temp.warehouse, ctxAt('2025-10-13T01:00:00Z'));
    const result = await run('2025-10-13T02:00:00Z');
    expect(result.mode).toBe('full');
    expect(result.activityRanges).toEqual(['2025-10-06..2025-10-12']);
    await expectOracle(temp.warehouse);
    // Every request of the sample is an interaction, and every user is active.
    const [n] = await temp.warehouse.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM `gca_analytics.interactions`',
    );
    expect(Number(n?.n)).toBeGreaterThan(100);
  });

  it.each([
    ['without a lookback', undefined],
    ['with a lookback (the BigQuery path: pruned reads)', 10],
  ])(
    'incremental runs %s equal the old views and a full rebuild, after late entries',
    async (_name, lookbackDays) => {
      // Ingested in event order, a day at a time, with a recompute after each day; then the
      // entries held back (a late quarter, every 4th entry) arrive at the end.
      const entries = sample();
      const late = entries.filter((_e, i) => i % 4 === 3);
      const onTime = entries.filter((_e, i) => i % 4 !== 3);
      const days = [...new Set(onTime.map((e) => timestampOf(e).slice(0, 10)))].sort();
      for (const day of days) {
        const batch = onTime.filter((e) => timestampOf(e).startsWith(day));
        await ingestRecords(records(batch, day), temp.warehouse, ctxAt(`${day}T23:59:00Z`));
        await run(`${day}T23:59:30Z`, { lookbackDays });
      }
      await ingestRecords(records(late, 'late'), temp.warehouse, ctxAt('2025-10-13T00:30:00Z'));
      // An interaction whose request comes after its response, across midnight, and moves
      // from the response's day to the request's (the stored row must leave 2025-10-12).
      await temp.warehouse.insertRaw(
        batchOf({
          responses: [
            makeResponse({
              request_id: 'midnight',
              at: '2025-10-12T00:00:02Z',
              ingest_time: ts('2025-10-13T00:40:00Z'),
            }),
          ],
        }),
      );
      const mid = await run('2025-10-13T00:45:00Z', { lookbackDays });
      expect(mid.mode).toBe('incremental');
      await temp.warehouse.insertRaw(
        batchOf({
          requests: [
            makeRequest({
              request_id: 'midnight',
              at: '2025-10-11T23:59:59Z',
              ingest_time: ts('2025-10-13T01:10:00Z'),
            }),
          ],
        }),
      );
      const incremental = await run('2025-10-13T01:15:00Z', { lookbackDays });
      expect(incremental.mode).toBe('incremental');
      // Touched: 2025-10-11 (the request) and 2025-10-12 (the response, in the overlap).
      expect(incremental.activityRanges).toEqual([
        '2025-10-10..2025-10-13',
        '2025-10-11..2025-10-12',
      ]);
      const moved = await temp.warehouse.query<{ day: string }>(
        "SELECT day FROM `gca_analytics.interactions` WHERE request_id = 'midnight'",
      );
      expect(moved).toEqual([{ day: '2025-10-11' }]);
      await expectOracle(temp.warehouse);

      const before = [
        await tableRows(temp.warehouse, 'interactions'),
        await tableRows(temp.warehouse, 'daily_active_users'),
      ];
      const full = await run('2025-10-13T02:00:00Z', { full: true });
      expect(full.mode).toBe('full');
      expect([
        await tableRows(temp.warehouse, 'interactions'),
        await tableRows(temp.warehouse, 'daily_active_users'),
      ]).toEqual(before);
    },
  );

  it('running twice changes nothing; a redelivered entry (a second raw row) changes nothing', async () => {
    await ingestRecords(records(sample(), 'all'), temp.warehouse, ctxAt('2025-10-13T01:00:00Z'));
    await run('2025-10-13T02:00:00Z');
    const snap = async () => [
      await tableRows(temp.warehouse, 'interactions'),
      await tableRows(temp.warehouse, 'daily_active_users'),
    ];
    const first = await snap();
    const again = await run('2025-10-13T02:05:00Z', { lookbackDays: 10 });
    expect(again.mode).toBe('incremental');
    expect(await snap()).toEqual(first);

    // BigQuery may keep a redelivered entry twice, with its own ingest_time: copy a day of
    // raw rows as new rows; the run rebuilds those days and finds the same rows.
    for (const t of ['requests', 'responses', 'metadata_events']) {
      await temp.warehouse.execute(
        `INSERT INTO \`gca_raw.${t}\` SELECT * REPLACE (@at AS ingest_time)
         FROM \`gca_raw.${t}\` WHERE DATE(event_timestamp) = @day`,
        {
          at: { type: 'TIMESTAMP', value: ts('2025-10-13T02:30:00Z') },
          day: { type: 'DATE', value: '2025-10-09' },
        },
      );
    }
    const redelivered = await run('2025-10-13T03:00:00Z', { lookbackDays: 10 });
    expect(redelivered.activityRanges).toContain('2025-10-08..2025-10-10');
    expect(await snap()).toEqual(first);
    await expectOracle(temp.warehouse);
  });

  it('a deployment that had the views gets the tables filled by its next incremental run', async () => {
    await ingestRecords(records(sample(), 'all'), temp.warehouse, ctxAt('2025-10-13T01:00:00Z'));
    await temp.state.setWatermark(RECOMPUTE_JOB, ts('2025-10-13T01:30:00Z'));
    const result = await run('2025-10-13T02:00:00Z', { lookbackDays: 10 });
    expect(result.mode).toBe('incremental');
    expect(result.activityRanges).toEqual(['2025-10-06..2025-10-12']);
    expect(await temp.state.getWatermark(ACTIVITY_WATERMARK)).toBe(ts('2025-10-13T02:00:00Z'));
    await expectOracle(temp.warehouse);
  });

  it('erasure removes a user from both tables; the rest still equals the old views', async () => {
    await ingestRecords(records(sample(), 'all'), temp.warehouse, ctxAt('2025-10-13T01:00:00Z'));
    await run('2025-10-13T02:00:00Z');
    const [victim] = await temp.warehouse.query<{ user_id: string }>(
      'SELECT user_id FROM `gca_analytics.daily_active_users` ORDER BY user_id LIMIT 1',
    );
    const user = String(victim?.user_id);
    const counts: Record<string, number> = {};
    await eraseUsers(temp.warehouse, [user], {
      now: new Date('2025-10-13T03:00:00Z'),
      dryRun: false,
      counts,
    });
    expect(counts['gca_analytics.interactions']).toBeGreaterThan(0);
    expect(counts['gca_analytics.daily_active_users']).toBeGreaterThan(0);
    for (const t of ['interactions', 'daily_active_users']) {
      const left = await temp.warehouse.query(
        `SELECT 1 FROM \`gca_analytics.${t}\` WHERE user_id = @user`,
        { user },
      );
      expect(left).toEqual([]);
    }
    await expectOracle(temp.warehouse);
    // A later full rebuild does not bring the user back.
    await run('2025-10-13T04:00:00Z', { full: true });
    await expectOracle(temp.warehouse);
  });

  it('rows of days whose raw rows retention deleted are kept by a full rebuild', async () => {
    await ingestRecords(records(sample(), 'all'), temp.warehouse, ctxAt('2025-10-13T01:00:00Z'));
    await run('2025-10-13T02:00:00Z');
    const oldDay = async () =>
      temp.warehouse.query(
        "SELECT * FROM `gca_analytics.daily_active_users` WHERE day < DATE '2025-10-08' ORDER BY ALL",
      );
    const kept = await oldDay();
    expect(kept.length).toBeGreaterThan(0);
    for (const t of ['requests', 'responses', 'metadata_events']) {
      await temp.warehouse.execute(`DELETE FROM \`gca_raw.${t}\` WHERE event_timestamp < @cutoff`, {
        cutoff: { type: 'TIMESTAMP', value: ts('2025-10-08T00:00:00Z') },
      });
    }
    await run('2025-10-13T03:00:00Z', { full: true });
    expect(await oldDay()).toEqual(kept);
  });
});

describe('activityRanges', () => {
  it('widens each touched day by the span and merges overlapping or adjacent ranges', () => {
    expect(activityRanges([], 1)).toEqual([]);
    expect(activityRanges(['2025-10-10', '2025-10-08', '2025-10-14', '2025-10-17'], 1)).toEqual([
      { first: '2025-10-07', last: '2025-10-11' },
      { first: '2025-10-13', last: '2025-10-18' },
    ]);
    expect(activityRanges(['2025-10-08', '2025-10-10', '2025-10-11'], 0)).toEqual([
      { first: '2025-10-08', last: '2025-10-08' },
      { first: '2025-10-10', last: '2025-10-11' },
    ]);
    expect(activityRanges(['2025-12-31'], 1)).toEqual([
      { first: '2025-12-30', last: '2026-01-01' },
    ]);
  });
});
