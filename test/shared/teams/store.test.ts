/**
 * gca_analytics.user_teams through the warehouse port: the one-statement replace is atomic (a
 * row the engine refuses leaves the previous mapping whole), and the same SQL renders for
 * BigQuery against the configured dataset.
 */
import { parseTeamMapping } from '../../../shared/teams/mapping';
import {
  listUserTeams,
  replaceUserTeams,
  REPLACE_USER_TEAMS_SQL,
} from '../../../shared/teams/store';
import { renderSql } from '../../../shared/sql/render';
import { useTempWarehouse } from '../../helpers/duckdb';
import {
  fakeWarehouse,
  startFakeBigQuery,
  type QueryRequestInfo,
} from '../../helpers/fake-bigquery';

const AT = new Date('2026-01-05T10:00:00Z');

describe('user_teams store', () => {
  const temp = useTempWarehouse();

  it('replaces the whole mapping, and leaves it whole when the statement fails', async () => {
    await replaceUserTeams(temp.warehouse, parseTeamMapping('user_id,team\na,X\nb,Y\n'), AT);
    const before = await listUserTeams(temp.warehouse);
    expect(before.map((r) => [r.user_id, r.team])).toEqual([
      ['a', 'X'],
      ['b', 'Y'],
    ]);
    // A day the engine refuses in the last row (validation would have caught it: bypassed here).
    const good = parseTeamMapping('user_id,team\nc,Z\n');
    const bad = [...good, { ...good[0]!, userId: 'd', from: '2026-02-30' }];
    await expect(replaceUserTeams(temp.warehouse, bad, AT)).rejects.toThrow();
    expect(await listUserTeams(temp.warehouse)).toEqual(before);
    expect(await replaceUserTeams(temp.warehouse, good, AT)).toBe(1);
    expect((await listUserTeams(temp.warehouse)).map((r) => r.user_id)).toEqual(['c']);
  });

  it('renders for BigQuery on the configured dataset', () => {
    const sql = renderSql(REPLACE_USER_TEAMS_SQL, {
      engine: 'bigquery',
      projectId: 'acme',
      datasets: { gca_analytics: 'gca_analytics_prod' },
    });
    expect(sql).toContain('MERGE INTO `acme.gca_analytics_prod.user_teams`');
    expect(sql).toContain('WHEN NOT MATCHED BY SOURCE THEN DELETE');
  });

  it('replaces the mapping on BigQuery with one parameterized MERGE job', async () => {
    const fake = await startFakeBigQuery();
    const seen: QueryRequestInfo[] = [];
    fake.onQuery((q) => {
      seen.push(q);
      return /COUNT/.test(q.query)
        ? { fields: [{ name: 'n', type: 'INT64' }], rows: [['2']] }
        : { numDmlAffectedRows: 3 };
    });
    const w = fakeWarehouse(fake);
    try {
      const rows = parseTeamMapping('user_id,team,seat,from\na,X,false,2026-01-01\nb,Y,,\n');
      expect(await replaceUserTeams(w, rows, AT)).toBe(2);
      const merge = seen.find((q) => q.query.startsWith('MERGE INTO'));
      expect(merge?.query).toContain(`\`${fake.projectId}.gca_analytics.user_teams\``);
      expect(merge?.parameterMode).toBe('NAMED');
      expect(JSON.stringify(merge?.queryParameters)).toContain('"2026-01-01"');
      // One statement: nothing else wrote to the table.
      expect(seen.filter((q) => /MERGE|DELETE|INSERT/.test(q.query))).toHaveLength(1);
    } finally {
      await w.close();
      await fake.close();
    }
  });
});
