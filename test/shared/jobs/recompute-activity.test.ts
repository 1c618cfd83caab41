/**
 * The activity tables (interactions, daily_active_users) maintained by recompute, on DuckDB.
 * The oracle computes both tables in TypeScript from the raw rows: after any sequence of
 * ingests, late entries, redeliveries, incremental and full runs, each table must hold exactly
 * those rows.
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
import { useTempJobSetup } from '../../helpers/duckdb';
import { batchOf, makeRequest, makeResponse, ts } from '../../helpers/metadata-events';

type Row = Record<string, unknown>;
type Activity = 'interactions' | 'daily_active_users';

async function tableRows(w: Warehouse, table: Activity): Promise<unknown[]> {
  return w.query(`SELECT * FROM \`gca_analytics.${table}\` ORDER BY ALL`);
}

/** Microseconds since the epoch of a stored timestamp (`2025-10-08T10:09:52.225165Z`). */
function micros(ts: unknown): number {
  const text = String(ts);
  return Date.parse(`${text.slice(0, 19)}Z`) * 1000 + Number(text.slice(20, 26).padEnd(6, '0'));
}

/** The first row of each request_id, by (event_timestamp, entry_key): redeliveries count once. */
function firstPerRequest(rows: Row[]): Map<string, Row> {
  const earlier = (a: Row, b: Row) =>
    micros(a.event_timestamp) < micros(b.event_timestamp) ||
    (micros(a.event_timestamp) === micros(b.event_timestamp) &&
      String(a.entry_key) < String(b.entry_key));
  const first = new Map<string, Row>();
  for (const row of rows) {
    const id = row.request_id as string | null;
    if (id === null) continue;
    const seen = first.get(id);
    if (!seen || earlier(row, seen)) first.set(id, row);
  }
  return first;
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
 * The oracle: what the activity tables must hold, computed here in TypeScript from the raw rows
 * as the tables' definitions say (one row per request_id of a request, response or api_request
 * event; one row per user and day with any request or metadata event), independently of the SQL
 * that maintains them.
 */
async function expectedRows(w: Warehouse, table: Activity): Promise<Row[]> {
  const raw = (t: string) => w.query<Row>(`SELECT * FROM \`gca_raw.${t}\``);
  const [requests, responses, events] = [
    await raw('requests'),
    await raw('responses'),
    await raw('metadata_events'),
  ];
  if (table === 'interactions') {
    const req = firstPerRequest(requests);
    const resp = firstPerRequest(responses);
    const api = firstPerRequest(events.filter((e) => e.event_type === 'api_request'));
    const ids = new Set([...req.keys(), ...resp.keys(), ...api.keys()]);
    return [...ids].map((id) => {
      const [q, r, a] = [req.get(id), resp.get(id), api.get(id)];
      // The request's value, else the response's, else the api_request event's.
      const first = (column: string) => q?.[column] ?? r?.[column] ?? a?.[column] ?? null;
      const calls = (r?.tool_calls ?? null) as { name: string }[] | null;
      return {
        request_id: id,
        day: String(first('event_timestamp')).slice(0, 10),
        user_id: first('user_id'),
        project_id: first('project_id'),
        product: first('product'),
        method: first('method'),
        client_name: first('client_name'),
        client_version: first('client_version'),
        request_kind: q?.request_kind ?? null,
        response_kind: r?.response_kind ?? null,
        request_time: q?.event_timestamp ?? null,
        response_time: r?.event_timestamp ?? null,
        latency_ms: q && r ? (micros(r.event_timestamp) - micros(q.event_timestamp)) / 1000 : null,
        prompt_chars: q?.prompt_chars ?? null,
        response_chars: r?.response_chars ?? null,
        context_file_count: q ? (q.context_files as unknown[]).length : null,
        tool_result_count: q ? (q.tool_results as unknown[]).length : null,
        tool_call_count: calls ? calls.length : null,
        tool_names: (calls ?? []).map((c) => c.name),
        has_api_request: a !== undefined,
      };
    });
  }
  // daily_active_users: distinct request entries, and distinct suggestions (kind and id)
  // exposed or accepted, per user on the day of each event.
  const days = new Map<
    string,
    { requests: Set<string>; exposed: Set<string>; accepted: Set<string> }
  >();
  const dayOf = (row: Row) => {
    const key = `${String(row.event_timestamp).slice(0, 10)}|${String(row.user_id)}`;
    let day = days.get(key);
    if (!day)
      days.set(key, (day = { requests: new Set(), exposed: new Set(), accepted: new Set() }));
    return day;
  };
  for (const row of requests) {
    if (row.user_id !== null) dayOf(row).requests.add(String(row.entry_key));
  }
  for (const row of events) {
    if (row.user_id === null) continue;
    const day = dayOf(row);
    const type = String(row.event_type);
    if (row.original_request_id === null) continue;
    const suggestion = `${type.startsWith('code_') ? 'code' : 'chat'}:${String(row.original_request_id)}`;
    if (type.endsWith('_exposure')) day.exposed.add(suggestion);
    if (type.endsWith('_acceptance')) day.accepted.add(suggestion);
  }
  return [...days].map(([key, d]) => {
    const [day, user_id] = key.split('|');
    return {
      day,
      user_id,
      requests: d.requests.size,
      suggestions_exposed: d.exposed.size,
      suggestions_accepted: d.accepted.size,
    };
  });
}

async function expectOracle(w: Warehouse): Promise<void> {
  for (const table of ['interactions', 'daily_active_users'] as const) {
    const rows = await tableRows(w, table);
    expect(rows.length).toBeGreaterThan(0);
    expect([...rows].sort(byJson)).toEqual((await expectedRows(w, table)).sort(byJson));
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
  const temp = useTempJobSetup();

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
      // The response, then (below) the request of one interaction, each written and recomputed:
      // the two steps are the point of the test.
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
