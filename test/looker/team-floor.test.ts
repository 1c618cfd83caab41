/**
 * The privacy floor of Looker's team views, proven on data: each explore's query grouped by
 * `team_floor.team` is assembled the way Looker assembles it (the explore's joins, the floor's
 * derived table with its templated filters filled in for a date range, `@{MIN_TEAM_SIZE}` from
 * the manifest), run on DuckDB over a sample whose team sizes change with the range, and compared
 * with `gca-analytics report` (buildReport) for that range: the same teams shown, the same pooled
 * "(small teams)", the same figures. The same SQL is then checked by BigQuery's analyzer.
 */
import { buildReport } from '../../shared/metrics/report';
import type { Report } from '../../shared/metrics/report-schema';
import { renderSql } from '../../shared/sql/render';
import { openTeamSampleWarehouse, TEAM_SAMPLE_DAYS } from '../helpers/team-sample';
import type { TempWarehouse } from '../helpers/duckdb';
import { startBigQueryAnalyzer } from '../helpers/zetasql';
import { compileDimension, compileMeasure } from './measure-sql';
import { exploreFields, loadProject, type LookerProject, type View } from './project';

let temp: TempWarehouse;
let project: LookerProject;

beforeAll(async () => {
  project = await loadProject();
  temp = await openTeamSampleWarehouse();
});

afterAll(async () => {
  await temp?.cleanup();
});

interface Range {
  from: string;
  to: string;
}

/**
 * Fills the Liquid of a derived table as Looker does for a dashboard whose date filter is the
 * range on `<explore>.day_date`: that condition becomes the range test, the other timeframes
 * (not filtered) `1=1`. Constants come from the manifest.
 */
function renderLiquid(sql: string, explore: string, range: Range | null): string {
  const filled = sql.replace(
    /\{%\s*condition\s+([\w.]+)\s*%\}([\s\S]*?)\{%\s*endcondition\s*%\}/g,
    (_m, field: string, expr: string) =>
      range && field === `${explore}.day_date`
        ? `((${expr.trim()}) >= DATE '${range.from}' AND (${expr.trim()}) <= DATE '${range.to}')`
        : '1=1',
  );
  expect(filled).not.toMatch(/\{%/);
  return filled.replace(/@\{(\w+)\}/g, (_m, name: string) => {
    const value = project.manifest.constant[name]?.value;
    if (value === undefined) throw new Error(`no constant ${name}`);
    return value;
  });
}

/**
 * The query Looker sends for an explore grouped by team_floor.team with some measures of the
 * base view: FROM the base table, the explore's joins in order (a derived table as a subquery),
 * the dashboard's date filter as a WHERE on the base view's day.
 */
function exploreQuery(explore: string, measures: readonly string[], range: Range | null): string {
  const e = project.model.explore[explore];
  if (!e) throw new Error(`no explore ${explore}`);
  const { views } = exploreFields(project, explore);
  const viewOf = (alias: string): View => {
    const v = project.views.get(views.get(alias) ?? '');
    if (!v) throw new Error(`no view for ${alias}`);
    return v;
  };
  // ${alias.field} -> that field's SQL over the alias; `${TABLE}` inside it -> the alias.
  const resolve = (sql: string): string =>
    renderLiquid(
      sql.replace(/\$\{(\w+)\.(\w+)\}/g, (_m, alias: string, field: string) =>
        compileDimension(viewOf(alias), field, alias),
      ),
      explore,
      range,
    );
  const source = (alias: string): string => {
    const v = viewOf(alias);
    return v.derived_table
      ? `(${renderLiquid(v.derived_table.sql, explore, range)})`
      : (v.sql_table_name ?? '').trim();
  };
  const joins = Object.entries(e.join ?? {})
    .filter(([alias]) => alias === 'user_teams' || alias === 'team_floor')
    .map(([alias, j]) => `LEFT JOIN ${source(alias)} AS ${alias} ON ${resolve(j.sql_on ?? '')}`);
  const team = renderLiquid(
    compileDimension(viewOf('team_floor'), 'team', 'team_floor'),
    explore,
    range,
  );
  const cols = measures.map((m) => `${compileMeasure(viewOf(explore), m, explore)} AS ${m}`);
  const day = compileDimension(viewOf(explore), 'day_date', explore);
  return [
    `SELECT ${team} AS team, ${cols.join(', ')}`,
    `FROM ${source(explore)} AS ${explore}`,
    ...joins,
    range ? `WHERE ${day} BETWEEN DATE '${range.from}' AND DATE '${range.to}'` : '',
    'GROUP BY 1',
  ].join('\n');
}

async function run(
  explore: string,
  measures: readonly string[],
  range: Range | null,
): Promise<Map<string, Record<string, unknown>>> {
  const rows = await temp.warehouse.query<Record<string, unknown>>(
    exploreQuery(explore, measures, range),
  );
  return new Map(rows.map((r) => [String(r.team), r]));
}

const [D1 = '', D2 = '', D3 = '', D4 = ''] = TEAM_SAMPLE_DAYS;
const RANGES: [string, Range | null][] = [
  ['the whole range', null],
  ['D1 only (Big has 6 users, Tiny 3 with the mover)', { from: D1, to: D1 }],
  ['D2..D4 (Big down to 3 users: pooled)', { from: D2, to: D4 }],
  ['D3..D4 (the mover counts for Steady)', { from: D3, to: D4 }],
];

describe('Looker team views apply the privacy floor over the filtered range', () => {
  it('has a sample whose shown teams change with the range', async () => {
    const whole = await buildReport(temp.warehouse);
    const later = await buildReport(temp.warehouse, { from: D2, to: D4 });
    expect(Object.keys(whole.byTeam)).toContain('Big');
    expect(Object.keys(later.byTeam)).not.toContain('Big');
    expect(Object.keys(later.byTeam)).toContain('(small teams)');
  });

  it.each(RANGES)('acceptance by team = the report, %s', async (_label, range) => {
    const report: Report = await buildReport(temp.warehouse, range ?? {});
    const got = await run(
      'acceptance_daily',
      ['code_exposed_count', 'code_accepted_count', 'chat_exposed_count', 'chat_accepted_count'],
      range,
    );
    const expected = Object.fromEntries(
      Object.entries(report.byTeam).map(([team, g]) => [
        team,
        [g.code.exposed, g.code.accepted, g.chat.exposed, g.chat.accepted],
      ]),
    );
    const actual = Object.fromEntries(
      [...got].map(([team, r]) => [
        team,
        [
          r.code_exposed_count,
          r.code_accepted_count,
          r.chat_exposed_count,
          r.chat_accepted_count,
        ].map(Number),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it.each(RANGES)('lines by team = the report, %s', async (_label, range) => {
    const report = await buildReport(temp.warehouse, range ?? {});
    const got = await run('lines_accepted_daily', ['lines_accepted_total'], range);
    // A team whose accepted suggestions had no line may lack a row: compare the non-zero ones.
    const nonZero = (pairs: [string, number][]) =>
      Object.fromEntries(pairs.filter(([, n]) => n > 0));
    expect(nonZero([...got].map(([t, r]) => [t, Number(r.lines_accepted_total)]))).toEqual(
      nonZero(Object.entries(report.byTeam).map(([t, g]) => [t, g.total.linesAccepted])),
    );
  });

  it.each(RANGES)('active users by team = the report engagement, %s', async (_label, range) => {
    const report = await buildReport(temp.warehouse, range ?? {});
    const got = await run('daily_active_users', ['active_users', 'user_days'], range);
    const actual = Object.fromEntries(
      [...got].map(([t, r]) => [t, [Number(r.active_users), Number(r.user_days)]]),
    );
    const expected = Object.fromEntries(
      Object.entries(report.engagement.byTeam)
        .filter(([, e]) => e.activeUsers > 0)
        .map(([t, e]) => [t, [e.activeUsers, e.activeUserDays]]),
    );
    expect(actual).toEqual(expected);
  });

  it('never shows a team under the floor, in any explore or range', async () => {
    for (const [, range] of RANGES) {
      for (const [explore, measure] of [
        ['acceptance_daily', 'suggestion_count'],
        ['lines_accepted_daily', 'lines_accepted_total'],
        ['suggestions', 'count'],
        ['daily_active_users', 'active_users'],
      ] as const) {
        const teams = await run(explore, [measure], range);
        const floorSql = project.views.get(`team_floor_${explore}`)?.derived_table?.sql ?? '';
        const users = await temp.warehouse.query<{ team: string; n: number }>(
          `SELECT team, users_in_range AS n FROM (${renderLiquid(floorSql, explore, range)}) AS f`,
        );
        const size = new Map(users.map((u) => [u.team, Number(u.n)]));
        for (const team of teams.keys()) {
          if (team === '(small teams)') continue;
          expect({ explore, range, team, atLeast5: (size.get(team) ?? 0) >= 5 }).toEqual({
            explore,
            range,
            team,
            atLeast5: true,
          });
        }
      }
    }
  });
});

describe('Looker floor SQL in BigQuery', () => {
  it('is accepted by GoogleSQL’s analyzer for every explore with a team', async () => {
    const analyzer = await startBigQueryAnalyzer({ projectId: 'p' });
    try {
      const failures: string[] = [];
      for (const [explore, measure] of [
        ['acceptance_daily', 'code_acceptance_rate'],
        ['lines_accepted_daily', 'lines_accepted_total'],
        ['suggestions', 'count'],
        ['daily_active_users', 'active_users'],
      ] as const) {
        const sql = exploreQuery(explore, [measure], { from: D2, to: D4 });
        const error = await analyzer.analyze(
          renderSql(sql, { engine: 'bigquery', projectId: 'p' }),
        );
        if (error) failures.push(`${explore}: ${error}`);
      }
      expect(failures).toEqual([]);
    } finally {
      await analyzer.close();
    }
  }, 120_000);
});
