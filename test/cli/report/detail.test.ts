/**
 * The dashboard's per-day detail (buildDashboardDetail): its rows add up to the report of the
 * same range on DuckDB, and every statement it sends is BigQuery SQL (GoogleSQL's analyzer).
 */
import { buildDashboardDetail, type DashboardDetail } from '../../../cli/report/detail';
import { buildReport } from '../../../shared/metrics/report';
import { renderSql } from '../../../shared/sql/render';
import { encodeQueryParameters } from '../../../shared/warehouse/bigquery';
import type { QueryParams, Warehouse } from '../../../shared/warehouse/port';
import type { TempWarehouse } from '../../helpers/duckdb';
import { openTeamSampleWarehouse, TEAM_SAMPLE_DAYS } from '../../helpers/team-sample';
import { startBigQueryAnalyzer } from '../../helpers/zetasql';

let temp: TempWarehouse;

beforeAll(async () => {
  temp = await openTeamSampleWarehouse();
});

afterAll(async () => {
  await temp?.cleanup();
});

const sum = (rows: { figures: number[] }[], i: number): number =>
  rows.reduce((n, r) => n + (r.figures[i] ?? 0), 0);

describe('buildDashboardDetail', () => {
  it.each([
    [null, null],
    [TEAM_SAMPLE_DAYS[1] ?? '', TEAM_SAMPLE_DAYS[2] ?? ''],
  ])('adds up to the report of the range (%s..%s)', async (from, to) => {
    const report = await buildReport(temp.warehouse, {
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    });
    const detail: DashboardDetail = await buildDashboardDetail(temp.warehouse, report);
    const totals = [0, 1, 2, 3, 4, 5].map((i) => sum(detail.users, i));
    expect(totals).toEqual([
      report.code.exposed,
      report.code.accepted,
      report.code.linesAccepted,
      report.chat.exposed,
      report.chat.accepted,
      report.chat.linesAccepted,
    ]);
    expect(sum(detail.users, 6)).toBe(report.orphanAcceptances);
    for (const dim of ['language', 'client', 'agent'] as const) {
      const rows = detail.groups.filter((g) => g.dim === dim);
      expect([dim, [0, 1, 2, 3, 4, 5].map((i) => sum(rows, i))]).toEqual([dim, totals]);
    }
    // Teams as the report shows them: the pooled ones under "(small teams)" only.
    const teams = new Set(detail.users.map((u) => u.team));
    for (const t of teams) {
      expect([t, t in report.byTeam || t in report.engagement.byTeam]).toEqual([t, true]);
    }
    const activeUsers = new Set(detail.users.filter((u) => u.active).map((u) => u.user));
    expect(activeUsers.size).toBe(report.activeUsers);
    expect(detail.seats.length).toBeGreaterThan(0);
  });
});

describe('buildDashboardDetail SQL in BigQuery', () => {
  it('is accepted by GoogleSQL’s analyzer, with and without a range', async () => {
    const sent: { sql: string; params: QueryParams }[] = [];
    const recording: Warehouse = {
      ...temp.warehouse,
      query: (sql, params = {}) => {
        sent.push({ sql, params });
        return temp.warehouse.query(sql, params);
      },
    };
    const whole = await buildReport(temp.warehouse);
    const ranged = await buildReport(temp.warehouse, {
      from: TEAM_SAMPLE_DAYS[1] ?? '',
      to: TEAM_SAMPLE_DAYS[2] ?? '',
    });
    await buildDashboardDetail(recording, whole);
    await buildDashboardDetail(recording, ranged);
    expect(sent.length).toBe(6);
    const analyzer = await startBigQueryAnalyzer({ projectId: 'p' });
    try {
      const failures: string[] = [];
      for (const s of sent) {
        const error = await analyzer.analyze(
          renderSql(s.sql, { engine: 'bigquery', projectId: 'p' }),
          encodeQueryParameters(s.params),
        );
        if (error) failures.push(`${error}\n  in: ${s.sql.slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
    } finally {
      await analyzer.close();
    }
  }, 120_000);
});
