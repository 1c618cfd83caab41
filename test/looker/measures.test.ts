/**
 * Each LookML measure, translated to SQL the way Looker expands it (measure-sql.ts), run on
 * DuckDB over a realistic sample (late acceptances, orphans, redeliveries, agent mode), and
 * compared with an independent figure: `buildReport` (the `gca-analytics report` figures) for
 * acceptance and lines, and the view's own rows aggregated in TypeScript for the others.
 */
import { normalizeEntry } from '../../shared/normalize/normalize';
import { generateSample } from '../../shared/sample/generate';
import type { Warehouse, RawBatch } from '../../shared/warehouse/port';
import { openTempWarehouse, type TempWarehouse } from '../helpers/duckdb';
import { measureQuery, TABLE_ALIAS } from './measure-sql';
import { loadProject, type LookerProject, type View } from './project';

let temp: TempWarehouse;
let project: LookerProject;
const checked = new Set<string>();

/** Ingests a seeded sample straight through normalizeEntry (no pipeline involved). */
async function loadSample(w: Warehouse): Promise<void> {
  const batch: RawBatch = { requests: [], responses: [], metadata_events: [], quarantine: [] };
  const ctx = { ingestTime: '2025-11-01T00:00:00.000000Z', contentMode: 'metadata-only' as const };
  for (const entry of generateSample({
    seed: 7,
    users: 6,
    days: 6,
    lateAcceptanceRate: 0.2,
    orphanRate: 0.1,
  })) {
    const out = normalizeEntry(entry, ctx);
    if (out.kind === 'request') batch.requests.push(out.row);
    else if (out.kind === 'response') batch.responses.push(out.row);
    else if (out.kind === 'metadata') batch.metadata_events.push(out.row);
  }
  await w.insertRaw(batch);
}

beforeAll(async () => {
  project = await loadProject();
  temp = await openTempWarehouse();
  await loadSample(temp.warehouse);
});

afterAll(async () => {
  await temp?.cleanup();
});

function view(name: string): View {
  const v = project.views.get(name);
  if (!v) throw new Error(`no view ${name}`);
  return v;
}

/** Runs measures of a view (optionally grouped) and marks them checked. */
async function runMeasures(
  viewName: string,
  measures: readonly string[],
  groupBy?: string,
): Promise<Record<string, unknown>[]> {
  for (const m of measures) checked.add(`${viewName}.${m}`);
  return temp.warehouse.query(measureQuery(view(viewName), measures, groupBy));
}

async function rowsOf<R extends object>(table: string): Promise<R[]> {
  return temp.warehouse.query<R>(`SELECT * FROM \`gca_analytics.${table}\``);
}

/** Continuous percentile (linear interpolation), as quantile_cont and PERCENTILE_CONT. */
function percentile(values: number[], p: number): number | null {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
}

const mean = (xs: number[]): number | null =>
  xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const nums = (xs: unknown[]): number[] => xs.filter((x): x is number => typeof x === 'number');

describe('LookML measures on DuckDB', () => {
  it('interactions: requests, users, latency percentiles, sizes, tool calls', async () => {
    interface Row {
      user_id: string | null;
      latency_ms: number | null;
      tool_call_count: number | null;
      prompt_chars: number | null;
      response_chars: number | null;
      has_api_request: boolean;
      tool_names: string[];
    }
    const rows = await rowsOf<Row>('interactions');
    expect(rows.length).toBeGreaterThan(50);
    const latencies = nums(rows.map((r) => r.latency_ms));
    expect(latencies.length).toBeGreaterThan(10);
    const [got] = await runMeasures('interactions', [
      'request_count',
      'user_count',
      'latency_p50_ms',
      'latency_p90_ms',
      'latency_p99_ms',
      'latency_average_ms',
      'tool_calls_total',
      'prompt_chars_average',
      'response_chars_average',
      'api_request_count',
    ]);
    expect(got?.request_count).toBe(rows.length);
    expect(got?.user_count).toBe(new Set(rows.map((r) => r.user_id).filter(Boolean)).size);
    expect(got?.latency_p50_ms).toBeCloseTo(percentile(latencies, 0.5) ?? NaN, 6);
    expect(got?.latency_p90_ms).toBeCloseTo(percentile(latencies, 0.9) ?? NaN, 6);
    expect(got?.latency_p99_ms).toBeCloseTo(percentile(latencies, 0.99) ?? NaN, 6);
    expect(got?.latency_average_ms).toBeCloseTo(mean(latencies) ?? NaN, 6);
    expect(got?.tool_calls_total).toBe(sum(nums(rows.map((r) => r.tool_call_count))));
    expect(got?.prompt_chars_average).toBeCloseTo(
      mean(nums(rows.map((r) => r.prompt_chars))) ?? NaN,
      6,
    );
    expect(got?.response_chars_average).toBeCloseTo(
      mean(nums(rows.map((r) => r.response_chars))) ?? NaN,
      6,
    );
    expect(got?.api_request_count).toBe(rows.filter((r) => r.has_api_request).length);

    // Tool calls by name: the explore's join SQL and the nested view's dimension and count,
    // with the tile's "tool name is not null" filter. DuckDB wants an ON after LEFT JOIN.
    checked.add('interactions__tool_names.count');
    const nested = view('interactions__tool_names');
    const joinSql = project.model.explore.interactions?.join?.interactions__tool_names?.sql ?? '';
    const alias = 'interactions__tool_names';
    const from = joinSql.replace('${interactions.tool_names}', `${TABLE_ALIAS}.tool_names`).trim();
    const nameSql = (nested.dimension?.tool_name?.sql ?? '').replace('${TABLE}', alias).trim();
    const countSql = nested.measure?.count?.type === 'count' ? 'COUNT(*)' : 'unexpected';
    const joined = await temp.warehouse.query<{ name: string; calls: number }>(
      `SELECT ${nameSql} AS name, ${countSql} AS calls
       FROM \`gca_analytics.interactions\` AS ${TABLE_ALIAS} ${from} ON TRUE
       WHERE ${nameSql} IS NOT NULL
       GROUP BY 1 ORDER BY 1`,
    );
    const expected = new Map<string, number>();
    for (const r of rows) for (const n of r.tool_names) expected.set(n, (expected.get(n) ?? 0) + 1);
    expect(expected.size).toBeGreaterThan(1);
    expect(new Map(joined.map((r) => [r.name, r.calls]))).toEqual(expected);
  });

  it('daily active users: distinct users over a range, user-days, activity sums', async () => {
    interface Row {
      day: string;
      user_id: string;
      requests: number;
      suggestions_exposed: number;
      suggestions_accepted: number;
    }
    const rows = await rowsOf<Row>('daily_active_users');
    const measures = [
      'active_users',
      'user_days',
      'requests_total',
      'suggestions_exposed_total',
      'suggestions_accepted_total',
    ];
    const [got] = await runMeasures('daily_active_users', measures);
    expect(got).toEqual({
      active_users: new Set(rows.map((r) => r.user_id)).size,
      user_days: rows.length,
      requests_total: sum(rows.map((r) => r.requests)),
      suggestions_exposed_total: sum(rows.map((r) => r.suggestions_exposed)),
      suggestions_accepted_total: sum(rows.map((r) => r.suggestions_accepted)),
    });
    // Distinct over the range is less than the sum of daily counts when anyone came back.
    const perDay = await runMeasures('daily_active_users', ['active_users'], 'day_date');
    expect(sum(perDay.map((r) => Number(r.active_users)))).toBe(rows.length);
    expect(Number(got?.active_users)).toBeLessThan(rows.length);
  });
});
