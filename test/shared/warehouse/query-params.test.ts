/**
 * One rule types untyped query parameters on both engines: `[1, 2.5]` is ARRAY<FLOAT64> on
 * BigQuery and a list of doubles on DuckDB (DuckDB used to take the first item's type and
 * truncate 2.5 to 2).
 */
import { encodeQueryParameters } from '../../../shared/warehouse/bigquery';
import type { QueryParamValue } from '../../../shared/warehouse/port';
import { inferParamType } from '../../../shared/warehouse/query-params';
import { withTempWarehouse } from '../../helpers/duckdb';

describe('inferParamType', () => {
  it.each<[string, QueryParamValue, string]>([
    ['an integer', 3, 'INT64'],
    ['a fraction', 2.5, 'FLOAT64'],
    ['integers', [1, 2], 'INT64'],
    ['integers then a fraction', [1, 2.5], 'FLOAT64'],
    ['a fraction then integers', [2.5, 1], 'FLOAT64'],
    ['strings', ['a', 'b'], 'STRING'],
    ['an empty array', [], 'STRING'],
    ['a boolean', true, 'BOOL'],
    ['null', null, 'STRING'],
    ['a string', 'x', 'STRING'],
  ])('%s', (_name, value, type) => {
    expect(inferParamType(value)).toBe(type);
  });
});

describe('[1, 2.5] on both engines', () => {
  it('is ARRAY<FLOAT64> on BigQuery', () => {
    expect(encodeQueryParameters({ xs: [1, 2.5] })).toEqual([
      {
        name: 'xs',
        parameterType: { type: 'ARRAY', arrayType: { type: 'FLOAT64' } },
        parameterValue: { arrayValues: [{ value: '1' }, { value: '2.5' }] },
      },
    ]);
  });

  it('keeps 2.5 on DuckDB', async () => {
    await withTempWarehouse(async (warehouse) => {
      const rows = await warehouse.query<{ x: number }>(
        'SELECT x FROM UNNEST(@xs) AS x WITH OFFSET AS pos ORDER BY pos',
        { xs: [1, 2.5] },
      );
      expect(rows.map((r) => r.x)).toEqual([1, 2.5]);
      const sum = await warehouse.query<{ s: number }>('SELECT @a + @b AS s', { a: 1, b: 2.5 });
      expect(sum).toEqual([{ s: 3.5 }]);
    });
  });
});
