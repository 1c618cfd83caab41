/**
 * Each LookML measure, translated to SQL the way Looker expands it (measure-sql.ts), run on
 * DuckDB over a realistic sample (late acceptances, orphans, redeliveries, agent mode), and
 * compared with an independent figure: `buildReport` (the `gca-analytics report` figures) for
 * acceptance and lines, and the view's own rows aggregated in TypeScript for the others.
 */
import { join } from 'node:path';
import { runRecompute } from '../../shared/jobs/recompute';
import { buildReport, UNKNOWN_LABEL } from '../../shared/metrics/report';
import type { GroupFigures, Report } from '../../shared/metrics/report-schema';
import { normalizeEntry } from '../../shared/normalize/normalize';
import { openLocalStateStore } from '../../shared/state/local';
import { generateSample } from '../../cli/sample/generate';
import type { Warehouse, RawBatch } from '../../shared/warehouse/port';
import { openTempWarehouse, type TempWarehouse } from '../helpers/duckdb';
import { measureQuery, TABLE_ALIAS } from './measure-sql';
import { loadProject, type LookerProject, type View } from './project';

let temp: TempWarehouse;
let project: LookerProject;
let report: Report;
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
  const state = await openLocalStateStore(join(temp.dir, 'state.json'));
  try {
    const at = new Date('2025-11-01T01:00:00Z');
    await runRecompute({ warehouse: temp.warehouse, state, now: () => at }, { full: true });
  } finally {
    await state.close();
  }
  report = await buildReport(temp.warehouse);
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

// ---------------------------------------------------------------------------------------------
// Acceptance and lines: the LookML measures against `buildReport` on every slice it offers.

const ACCEPTANCE = [
  'exposed_count',
  'accepted_count',
  'code_exposed_count',
  'code_accepted_count',
  'chat_exposed_count',
  'chat_accepted_count',
  'acceptance_rate_total',
  'code_acceptance_rate',
  'chat_acceptance_rate',
];
const LINES = ['lines_accepted_total', 'code_lines_accepted', 'chat_lines_accepted'];

/** Rates compared to 9 decimals (the two sides divide the same integers in other engines). */
function rounded(g: GroupFigures): GroupFigures {
  const r = (x: number | null) => (x === null ? null : Math.round(x * 1e9) / 1e9);
  const f = (x: GroupFigures['code']) => ({ ...x, acceptanceRate: r(x.acceptanceRate) });
  return { code: f(g.code), chat: f(g.chat), total: f(g.total) };
}

function figuresOf(
  a: Record<string, unknown> | undefined,
  l: Record<string, unknown> | undefined,
): GroupFigures {
  const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  const rate = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rounded({
    code: {
      exposed: n(a?.code_exposed_count),
      accepted: n(a?.code_accepted_count),
      acceptanceRate: rate(a?.code_acceptance_rate),
      linesAccepted: n(l?.code_lines_accepted),
    },
    chat: {
      exposed: n(a?.chat_exposed_count),
      accepted: n(a?.chat_accepted_count),
      acceptanceRate: rate(a?.chat_acceptance_rate),
      linesAccepted: n(l?.chat_lines_accepted),
    },
    total: {
      exposed: n(a?.exposed_count),
      accepted: n(a?.accepted_count),
      acceptanceRate: rate(a?.acceptance_rate_total),
      linesAccepted: n(l?.lines_accepted_total),
    },
  });
}

/** The report's label of a group value (null -> unknown, agent mode -> agent / nonAgent). */
function labelOf(g: unknown, dimension: string): string {
  if (dimension === 'is_agentic') return g === true ? 'agent' : 'nonAgent';
  return g === null || g === undefined ? UNKNOWN_LABEL : String(g);
}

async function slices(dimension: string): Promise<Record<string, GroupFigures>> {
  const acc = await runMeasures('acceptance_daily', ACCEPTANCE, dimension);
  const lines = await runMeasures('lines_accepted_daily', LINES, dimension);
  const byLabel = new Map(lines.map((r) => [labelOf(r.g, dimension), r]));
  const out: Record<string, GroupFigures> = {};
  for (const a of acc)
    out[labelOf(a.g, dimension)] = figuresOf(a, byLabel.get(labelOf(a.g, dimension)));
  return out;
}

const roundedAll = (r: Record<string, GroupFigures>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, rounded(v)]));

describe('LookML acceptance and lines measures = gca-analytics report', () => {
  it('has a sample with code, chat, agent mode, late and orphan acceptances', () => {
    expect(report.code.exposed).toBeGreaterThan(20);
    expect(report.chat.exposed).toBeGreaterThan(5);
    expect(report.byAgentMode.agent.total.accepted).toBeGreaterThan(0);
    expect(report.orphanAcceptances).toBeGreaterThan(0);
    expect(Object.keys(report.byLanguage).length).toBeGreaterThan(2);
    expect(Object.keys(report.byClient).length).toBeGreaterThan(1);
  });

  it('totals: code, chat and total exposed, accepted, rate and lines; orphans', async () => {
    const [a] = await runMeasures('acceptance_daily', [...ACCEPTANCE, 'orphan_acceptance_count']);
    const [l] = await runMeasures('lines_accepted_daily', LINES);
    expect(figuresOf(a, l)).toEqual(
      rounded({ code: report.code, chat: report.chat, total: report.total }),
    );
    expect(a?.orphan_acceptance_count).toBe(report.orphanAcceptances);
  });

  it.each([
    ['programming_language', 'byLanguage'],
    ['user_id', 'byUser'],
    ['day_date', 'byDay'],
    ['client_name', 'byClient'],
  ] as const)('grouped by %s = report.%s', async (dimension, key) => {
    expect(await slices(dimension)).toEqual(roundedAll(report[key]));
  });

  it('grouped by agent mode = report.byAgentMode', async () => {
    expect(await slices('is_agentic')).toEqual(roundedAll(report.byAgentMode));
  });

  it('a date range: the measures over a WHERE on the day = the report for that range', async () => {
    const days = Object.keys(report.byDay).sort();
    const from = days[1] ?? '';
    const to = days[2] ?? '';
    const ranged = await buildReport(temp.warehouse, { from, to });
    const where = `t.day BETWEEN DATE '${from}' AND DATE '${to}'`;
    const [a] = await temp.warehouse.query(
      measureQuery(view('acceptance_daily'), ACCEPTANCE, undefined, where),
    );
    const [l] = await temp.warehouse.query(
      measureQuery(view('lines_accepted_daily'), LINES, undefined, where),
    );
    expect(figuresOf(a, l)).toEqual(
      rounded({ code: ranged.code, chat: ranged.chat, total: ranged.total }),
    );
    expect(ranged.total.exposed).toBeLessThan(report.total.exposed);
  });

  it('the other daily measures: suggestions, users, comment lines, lines per suggestion', async () => {
    interface SuggestionRow {
      user_id: string | null;
      comment_lines_accepted: number;
    }
    const suggestions = await rowsOf<SuggestionRow>('suggestions');
    const [a] = await runMeasures('acceptance_daily', ['suggestion_count', 'user_count']);
    expect(a?.suggestion_count).toBe(suggestions.length);
    expect(a?.user_count).toBe(
      new Set(suggestions.map((s) => s.user_id).filter((u) => u !== null)).size,
    );
    const [l] = await runMeasures('lines_accepted_daily', [
      'comment_lines_accepted_total',
      'accepted_suggestion_count',
      'lines_per_accepted_suggestion',
    ]);
    expect(l?.comment_lines_accepted_total).toBe(
      sum(suggestions.map((s) => s.comment_lines_accepted)),
    );
    expect(l?.accepted_suggestion_count).toBe(report.total.accepted);
    expect(l?.lines_per_accepted_suggestion).toBeCloseTo(
      report.total.linesAccepted / report.total.accepted,
      9,
    );
  });

  it('suggestions explore: counts, rate, orphans, lines, late acceptances, time to accept', async () => {
    interface Row {
      day: string;
      first_exposure_time: string | null;
      first_acceptance_time: string | null;
    }
    const rows = await rowsOf<Row>('suggestions');
    const [s] = await runMeasures('suggestions', [
      'count',
      'exposed_count',
      'accepted_count',
      'acceptance_rate_total',
      'orphan_acceptance_count',
      'lines_accepted_total',
      'late_acceptance_count',
      'median_acceptance_delay_minutes',
    ]);
    const both = rows.filter((r) => r.first_exposure_time && r.first_acceptance_time);
    const delays = both.map(
      (r) =>
        (Date.parse(r.first_acceptance_time ?? '') - Date.parse(r.first_exposure_time ?? '')) /
        60000,
    );
    const late = rows.filter(
      (r) => r.first_acceptance_time && r.first_acceptance_time.slice(0, 10) > r.day,
    );
    expect(late.length).toBeGreaterThan(0);
    expect({ ...s, median_acceptance_delay_minutes: undefined }).toEqual({
      count: rows.length,
      exposed_count: report.total.exposed,
      accepted_count: report.total.accepted,
      acceptance_rate_total: report.total.acceptanceRate,
      orphan_acceptance_count: report.orphanAcceptances,
      lines_accepted_total: report.total.linesAccepted,
      late_acceptance_count: late.length,
      median_acceptance_delay_minutes: undefined,
    });
    // Millisecond timestamps in JS vs microseconds in SQL: close, not equal.
    expect(Number(s?.median_acceptance_delay_minutes)).toBeCloseTo(
      percentile(delays, 0.5) ?? NaN,
      3,
    );
  });
});

describe('coverage', () => {
  it('checked every measure of every view on DuckDB', () => {
    const all = [...project.views].flatMap(([v, def]) =>
      Object.keys(def.measure ?? {}).map((m) => `${v}.${m}`),
    );
    expect([...checked].sort()).toEqual(all.sort());
  });
});
