import { contentColumnPaths } from '../../../shared/content/policy';
import {
  contentExpirySql,
  eraseDerivedSql,
  eraseRawSql,
  insertRetentionRunSql,
  rowExpirySql,
  USER_DERIVED_TABLES,
} from '../../../shared/sql/retention';
import { renderSql } from '../../../shared/sql/render';
import { RAW_TABLES, type RawTableName } from '../../../shared/tables/registry';

const BQ = { engine: 'bigquery', projectId: 'acme-prod' } as const;
const RAW = Object.keys(RAW_TABLES) as RawTableName[];
const POLICY = { contentDays: 30, eventDays: 400, quarantineDays: 30 };

/** The WHERE clause that ends a statement (from the last top-level line starting with WHERE). */
function whereOf(sql: string): string {
  const at = sql.lastIndexOf('\nWHERE ');
  if (at < 0) throw new Error(`no WHERE in ${sql}`);
  return sql.slice(at + 1);
}

describe('retention SQL rendered for BigQuery', () => {
  it.each(RAW)('%s: deletes filter on the partition column with the cutoff parameter', (name) => {
    const partition = RAW_TABLES[name].partitionBy;
    const cutoff = name === 'quarantine' ? '@quarantine_cutoff' : '@event_cutoff';
    const stmt = rowExpirySql(name);
    expect(renderSql(stmt.sql, BQ)).toBe(
      `DELETE FROM \`acme-prod.gca_raw.${name}\`\nWHERE ${partition} < ${cutoff}`,
    );
    expect(whereOf(stmt.countSql)).toBe(whereOf(stmt.sql));
  });

  it.each(RAW)('%s: content expiry updates only partitions between the cutoffs', (name) => {
    const partition = RAW_TABLES[name].partitionBy ?? '';
    const lower = name === 'quarantine' ? '@quarantine_cutoff' : '@event_cutoff';
    const stmt = contentExpirySql(name);
    const sql = renderSql(stmt.sql, BQ);
    expect(sql.startsWith(`UPDATE \`acme-prod.gca_raw.${name}\`\nSET `)).toBe(true);
    expect(whereOf(sql).split('\n')[0]).toBe(
      `WHERE ${partition} < @content_cutoff AND ${partition} >= ${lower}`,
    );
    expect(whereOf(stmt.countSql)).toBe(whereOf(stmt.sql));
    // Every content column of the registry is nulled, top-level or nested.
    for (const path of contentColumnPaths(name)) {
      const [column, field] = path.split('.');
      if (field) {
        expect(sql).toContain(`${column} = ARRAY(SELECT STRUCT(`);
        expect(sql).toContain(`CAST(NULL AS `);
        expect(sql).toMatch(new RegExp(`NULL AS \\w+\\) AS ${field}\\b`));
        expect(sql).toContain(`FROM UNNEST(${column}) AS f WITH OFFSET AS pos ORDER BY pos)`);
      } else {
        expect(sql).toContain(`${column} = NULL`);
      }
    }
  });

  it('maps datasets per environment', () => {
    const sql = renderSql(rowExpirySql('requests').sql, {
      ...BQ,
      datasets: { gca_raw: 'gca_raw_staging' },
    });
    expect(sql).toContain('`acme-prod.gca_raw_staging.requests`');
  });

  it('erasure deletes by user (all partitions) and quarantine by the quoted id', () => {
    expect(renderSql(eraseRawSql('requests').sql, BQ)).toBe(
      'DELETE FROM `acme-prod.gca_raw.requests`\nWHERE user_id IN UNNEST(@users)',
    );
    expect(renderSql(eraseRawSql('quarantine').sql, BQ)).toContain('STRPOS(raw, needle) > 0');
    for (const t of USER_DERIVED_TABLES) {
      expect(renderSql(eraseDerivedSql(t).sql, BQ)).toBe(
        `DELETE FROM \`acme-prod.gca_analytics.${t}\`\nWHERE user_id IN UNNEST(@users)`,
      );
    }
  });

  it('writes the audit row with a JSON policy and STRUCT changes', () => {
    const sql = renderSql(
      insertRetentionRunSql(POLICY, [
        { table: 'gca_raw.requests', action: 'deleted', rows: 3 },
        { table: 'gca_analytics.suggestions', action: 'erased', rows: 0 },
      ]),
      BQ,
    );
    expect(sql).toContain('INSERT INTO `acme-prod.gca_analytics.retention_runs` (run_id, run_time');
    expect(sql).toContain(
      `JSON '{"contentDays":30,"eventDays":400,"quarantineDays":30,"keepDatasetContent":true}'`,
    );
    expect(sql).toContain(
      "STRUCT('gca_raw.requests' AS table_name, 'deleted' AS action, 3 AS `rows`)",
    );
  });

  it('keeps the content of dataset members when asked, and counts them with the same WHERE', () => {
    const stmt = contentExpirySql('requests', { keepDatasets: true });
    const members =
      'request_id IN (SELECT m.request_id FROM `acme-prod.gca_raw.dataset_members` AS m)';
    expect(renderSql(stmt.sql, BQ)).toContain(`AND (request_id IS NULL OR NOT ${members})`);
    expect(renderSql(stmt.keptCountSql ?? '', BQ)).toMatch(
      new RegExp(`\\n  AND ${members.replace(/[()`.]/g, '\\$&')}$`),
    );
    expect(contentExpirySql('quarantine', { keepDatasets: true }).keptCountSql).toBeNull();
    expect(contentExpirySql('requests').keptCountSql).toBeNull();
  });

  it('refuses audit values that could inject SQL', () => {
    expect(() =>
      insertRetentionRunSql(POLICY, [{ table: "x'; DROP", action: 'deleted', rows: 1 }]),
    ).toThrow();
    expect(() =>
      insertRetentionRunSql(POLICY, [{ table: 'gca_raw.requests', action: 'deleted', rows: -1 }]),
    ).toThrow();
    expect(() => insertRetentionRunSql({ ...POLICY, contentDays: 1.5 }, [])).toThrow();
  });
});

describe('retention SQL for DuckDB', () => {
  it('renders every retention statement for DuckDB (STRUCT constructors included)', () => {
    const all = [
      ...RAW.flatMap((t) => [contentExpirySql(t), rowExpirySql(t), eraseRawSql(t)]),
      ...USER_DERIVED_TABLES.map(eraseDerivedSql),
    ].flatMap((s) => [s.sql, s.countSql]);
    all.push(
      insertRetentionRunSql(POLICY, [{ table: 'gca_raw.requests', action: 'deleted', rows: 1 }]),
    );
    for (const sql of all) {
      const duck = renderSql(sql, { engine: 'duckdb' });
      expect(duck).not.toMatch(/\bSTRUCT\(/);
      expect(duck).not.toContain('`');
    }
  });
});
