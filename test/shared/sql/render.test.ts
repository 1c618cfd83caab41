import { DUCKDB_COMPAT_MACROS, SqlRenderError, renderSql } from '../../../shared/sql/render';
import { withTempWarehouse } from '../../helpers/duckdb';

const duck = { engine: 'duckdb' } as const;
const bq = { engine: 'bigquery', projectId: 'proj-1' } as const;

describe('renderSql for DuckDB', () => {
  // A table of cases: one row per rewrite, alike by design.
  it.each([
    ['strips backticks', 'SELECT * FROM `gca_raw.requests`', 'SELECT * FROM gca_raw.requests'],
    ['quotes odd names', 'SELECT `my col` FROM t', 'SELECT "my col" FROM t'],
    ['maps parameters', 'WHERE a = @a AND b > @b_2', 'WHERE a = $a AND b > $b_2'],
    ['maps IN UNNEST(@p)', 'WHERE day IN UNNEST( @days )', 'WHERE day IN (SELECT UNNEST($days))'],
    ['SAFE_CAST', 'SELECT SAFE_CAST(x AS INT64)', 'SELECT TRY_CAST(x AS BIGINT)'],
    ['FLOAT64', 'SELECT CAST(x AS FLOAT64)', 'SELECT CAST(x AS DOUBLE)'],
    ['keeps column names containing INT64', 'SELECT t.int64, my_int64', 'SELECT t.int64, my_int64'],
    ['CURRENT_TIMESTAMP()', 'SELECT CURRENT_TIMESTAMP()', 'SELECT current_timestamp'],
    [
      'UNNEST alias',
      'SELECT tc.name FROM UNNEST(r.tool_calls) AS tc',
      'SELECT tc.name FROM (SELECT UNNEST(r.tool_calls) AS tc) AS tc__unnest',
    ],
    [
      'UNNEST alias with offset',
      'FROM UNNEST(a) AS x WITH OFFSET AS pos ORDER BY pos',
      'FROM (SELECT UNNEST(a) AS x, generate_subscripts(a, 1) - 1 AS pos) AS x__unnest ORDER BY pos',
    ],
    [
      'STRUCT constructors, with strings and backticked names',
      "SELECT STRUCT('a,b' AS x, f(1, 2) AS `rows`, 'STRUCT(1)' AS s)",
      "SELECT struct_pack(x := 'a,b', rows := f(1, 2), s := 'STRUCT(1)')",
    ],
    [
      'nested STRUCT constructors',
      'STRUCT(STRUCT(1 AS a) AS inner, [1, 2] AS list)',
      'struct_pack(inner := struct_pack(a := 1), list := [1, 2])',
    ],
    [
      'keeps names that contain STRUCT',
      'SELECT my_struct(1), t.STRUCT_x, t.struct(2) FROM t',
      'SELECT my_struct(1), t.STRUCT_x, t.struct(2) FROM t',
    ],
    ['leaves strings alone', "SELECT '@x `y` INT64' AS s", "SELECT '@x `y` INT64' AS s"],
    [
      'leaves comments alone',
      'SELECT 1 -- @x INT64\n, 2 /* @y */',
      'SELECT 1 -- @x INT64\n, 2 /* @y */',
    ],
  ])('%s', (_name, input, expected) => {
    expect(renderSql(input, duck)).toBe(expected);
  });

  it.each([
    ['double-quoted strings', 'SELECT "a"'],
    ['backslashes in strings', "SELECT 'a\\'b'"],
    ['# comments', 'SELECT 1 # x'],
    ['unterminated strings', "SELECT 'a"],
    ['STRUCT fields without a name', 'SELECT STRUCT(1, 2)'],
  ])('refuses %s', (_name, input) => {
    expect(() => renderSql(input, duck)).toThrow(SqlRenderError);
  });
});

describe('renderSql for BigQuery', () => {
  it.each([
    [
      'qualifies logical datasets',
      'SELECT * FROM `gca_raw.requests` JOIN `gca_analytics.suggestions` USING (x)',
      'SELECT * FROM `proj-1.gca_raw.requests` JOIN `proj-1.gca_analytics.suggestions` USING (x)',
    ],
    ['keeps parameters and functions', 'SELECT SAFE_DIVIDE(@a, 2)', 'SELECT SAFE_DIVIDE(@a, 2)'],
    ['leaves other names', 'SELECT * FROM `other.t`', 'SELECT * FROM `other.t`'],
  ])('%s', (_name, input, expected) => {
    expect(renderSql(input, bq)).toBe(expected);
  });

  it('maps dataset names', () => {
    expect(
      renderSql('SELECT 1 FROM `gca_raw.quarantine`', {
        ...bq,
        datasets: { gca_raw: 'raw_dev' },
      }),
    ).toBe('SELECT 1 FROM `proj-1.raw_dev.quarantine`');
  });
});

describe('compatibility macros on DuckDB', () => {
  it('are defined and behave as BigQuery functions do', async () => {
    expect(DUCKDB_COMPAT_MACROS.length).toBeGreaterThan(0);
    await withTempWarehouse(async (w) => {
      const [row] = await w.query(
        `SELECT SAFE_DIVIDE(1, 0) AS a, SAFE_DIVIDE(1, 4) AS b,
           TIMESTAMP_SUB(CAST('2025-10-08T00:00:00Z' AS TIMESTAMP), INTERVAL 1 DAY) AS c,
           TIMESTAMP_ADD(CAST('2025-10-08T00:00:00Z' AS TIMESTAMP), INTERVAL 2 HOUR) AS d,
           UNIX_MICROS(CAST('1970-01-01T00:00:01Z' AS TIMESTAMP)) AS e,
           COUNTIF(TRUE) AS f, LOGICAL_OR(FALSE) AS g`,
      );
      expect(row).toEqual({
        a: null,
        b: 0.25,
        c: '2025-10-07T00:00:00.000000Z',
        d: '2025-10-08T02:00:00.000000Z',
        e: 1_000_000,
        f: 1,
        g: false,
      });
    });
  });
});

describe('array field subqueries on DuckDB', () => {
  it('count non-null fields and list fields in order, as BigQuery does, NULL arrays included', async () => {
    const sql = `SELECT id,
        (SELECT COUNT(a.chars) FROM UNNEST(items) AS a) AS n,
        ARRAY(SELECT a.name FROM UNNEST(items) AS a WITH OFFSET AS pos ORDER BY pos) AS names
      FROM (
        SELECT 1 AS id, [STRUCT('b' AS name, 2 AS chars), STRUCT('a' AS name, NULL AS chars),
          STRUCT('c' AS name, 5 AS chars)] AS items
        UNION ALL
        SELECT 2 AS id, NULL AS items
      ) AS t
      ORDER BY id`;
    // The list functions, not a correlated subquery (its decorrelation was the slow part).
    expect(renderSql(sql, { engine: 'duckdb' })).toContain('list_filter(items');
    expect(renderSql(sql, { engine: 'duckdb' })).toContain('list_transform(items');
    await withTempWarehouse(async (w) => {
      expect(await w.query(sql)).toEqual([
        { id: 1, n: 2, names: ['b', 'a', 'c'] },
        { id: 2, n: 0, names: [] },
      ]);
    });
  });
});
