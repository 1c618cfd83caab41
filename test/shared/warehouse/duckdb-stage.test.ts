import { stageBatch } from '../../../shared/warehouse/duckdb-stage';
import { withTempWarehouse } from '../../helpers/duckdb';
import { batchOf, makeMetadataEvent } from '../../helpers/metadata-events';

const at = '2025-10-08T10:00:00Z';

describe('DuckDB staging (one JSON array per raw table)', () => {
  it('stages one row per key, the first of a repeated key, as a JSON array of the rows', () => {
    const a = makeMetadataEvent({ type: 'code_exposure', id: 'a', at, user: 'first' });
    const aLater = { ...a, user_id: 'second' };
    const b = makeMetadataEvent({ type: 'code_acceptance', id: 'a', at: '2025-10-08T10:00:01Z' });
    const [staged, ...others] = stageBatch(batchOf({ metadata_events: [a, aLater, b, a] }));
    expect(others).toEqual([]);
    expect(staged?.table).toBe('metadata_events');
    expect(staged?.rows).toBe(4);
    expect(staged?.distinct).toEqual([a, b]);
    expect(JSON.parse(staged?.json ?? '')).toEqual([a, b]);
  });

  it('stages the rows themselves when no key repeats', () => {
    const rows = [
      makeMetadataEvent({ type: 'code_exposure', id: 'a', at }),
      makeMetadataEvent({ type: 'code_exposure', id: 'b', at }),
    ];
    const [staged] = stageBatch(batchOf({ metadata_events: rows }));
    expect(staged?.distinct).toBe(rows);
  });

  it('stores the first row of a repeated key and counts the repeats', async () => {
    const a = makeMetadataEvent({ type: 'code_exposure', id: 'a', at, user: 'first' });
    const aLater = { ...a, user_id: 'second' };
    await withTempWarehouse(async (warehouse) => {
      const result = await warehouse.insertRaw(batchOf({ metadata_events: [a, aLater] }));
      expect(result).toEqual({ inserted: 1, duplicates: 1, rejected: [] });
      const rows = await warehouse.query('SELECT user_id FROM `gca_raw.metadata_events`');
      expect(rows).toEqual([{ user_id: 'first' }]);
    });
  });

  it('finds a refused row among repeated keys row by row, from the staged rows', async () => {
    const good = makeMetadataEvent({ type: 'code_exposure', id: 'a', at });
    const bad = { ...makeMetadataEvent({ type: 'code_exposure', id: 'b', at }), payload: '{' };
    await withTempWarehouse(async (warehouse) => {
      const result = await warehouse.insertRaw(
        batchOf({ metadata_events: [bad, good, bad, { ...good, user_id: 'later' }] }),
      );
      expect(result.inserted).toBe(1);
      expect(result.duplicates).toBe(2);
      expect(result.rejected.map((r) => r.key)).toEqual([bad.entry_key]);
      const rows = await warehouse.query('SELECT user_id FROM `gca_raw.metadata_events`');
      expect(rows).toEqual([{ user_id: good.user_id }]);
    });
  });
});
