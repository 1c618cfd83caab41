/**
 * The pipeline on the real DuckDB adapter: counts are conserved, the tables hold exactly the
 * counted rows, and ingesting the same input again changes nothing (every record a duplicate).
 */
import { ingestRecords, type RawRecord } from '../../../shared/pipeline/ingest';
import type { IngestCounts, NormalizeContext } from '../../../shared/normalize/outcome';
import { generateSample } from '../../../cli/sample/generate';
import { openTempWarehouse, useTempWarehouse, type TempWarehouse } from '../../helpers/duckdb';
import { wrapWarehouse } from '../../helpers/warehouse';

const ctx: NormalizeContext = { ingestTime: '2026-02-01T00:00:00Z', contentMode: 'scrubbed' };

function sampleRecords(): RawRecord[] {
  const out: RawRecord[] = [];
  let i = 0;
  for (const entry of generateSample({
    seed: 11,
    entries: 1500,
    duplicateRate: 0.05,
    foreignRate: 0.05,
    malformedRate: 0.05,
  })) {
    out.push({ text: JSON.stringify(entry), source: `file:sample.jsonl#${++i}` });
  }
  out.push({ text: '{"not": "closed"', source: 'file:sample.jsonl#garbage' });
  return out;
}

async function count(temp: TempWarehouse, table: string): Promise<number> {
  const rows = await temp.warehouse.query<{ n: number | bigint }>(
    `SELECT COUNT(*) AS n FROM \`gca_raw.${table}\``,
  );
  return Number(rows[0]?.n ?? -1);
}

function conserved(c: IngestCounts): boolean {
  return c.read === c.normalized + c.duplicates + c.quarantined + c.skipped;
}

describe('ingestRecords on DuckDB', () => {
  const temp = useTempWarehouse('all');

  it('conserves counts, stores what it counts, and a re-ingest adds nothing', async () => {
    const records = sampleRecords();
    const first = await ingestRecords(records, temp.warehouse, { context: ctx, batchSize: 200 });
    expect(conserved(first)).toBe(true);
    expect(first.read).toBe(records.length);
    // The sample has redeliveries, foreign entries and malformed ones: every bucket is used.
    expect(first.duplicates).toBeGreaterThan(0);
    expect(first.skipped).toBeGreaterThan(0);
    expect(first.quarantined).toBeGreaterThan(0);

    const stored =
      (await count(temp, 'requests')) +
      (await count(temp, 'responses')) +
      (await count(temp, 'metadata_events'));
    expect(stored).toBe(first.normalized);
    expect(await count(temp, 'quarantine')).toBe(first.quarantined);

    const again = await ingestRecords(records, temp.warehouse, { context: ctx, batchSize: 333 });
    expect(again).toEqual({
      read: first.read,
      normalized: 0,
      duplicates: first.read - first.skipped,
      quarantined: 0,
      skipped: first.skipped,
    });
    expect(await count(temp, 'quarantine')).toBe(first.quarantined);
  });

  it('quarantines a row the warehouse rejects, with the record it came from', async () => {
    const other = await openTempWarehouse();
    let rejectedKey = '';
    // The warehouse refuses the first response row it is given: it is not stored and is
    // reported, as DuckDB reports a row it cannot convert.
    const w = other.warehouse;
    const refusing = wrapWarehouse(w, {
      insertRaw: async (batch) => {
        const [first, ...rest] = batch.responses;
        if (rejectedKey || !first) return w.insertRaw(batch);
        rejectedKey = first.entry_key;
        const result = await w.insertRaw({ ...batch, responses: rest });
        const refused = { table: 'responses' as const, key: rejectedKey, detail: 'refused' };
        return { ...result, rejected: [...result.rejected, refused] };
      },
    });
    try {
      const counts = await ingestRecords(sampleRecords(), refusing, {
        context: ctx,
        batchSize: 500,
      });
      expect(conserved(counts)).toBe(true);
      const rows = await w.query<{
        source: string;
        raw: string;
        detail: string;
        insert_id: string;
      }>(
        "SELECT source, raw, detail, insert_id FROM `gca_raw.quarantine` WHERE reason = 'row_rejected'",
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.detail).toBe('responses: refused');
      expect(rows[0]?.source).toMatch(/^file:sample\.jsonl#\d+$/);
      const entry = JSON.parse(rows[0]?.raw ?? '{}') as { insertId?: string };
      expect(entry.insertId).toBe(rows[0]?.insert_id);
      const stored = await w.query('SELECT 1 FROM `gca_raw.responses` WHERE entry_key = @k', {
        k: rejectedKey,
      });
      expect(stored).toEqual([]);
    } finally {
      await other.cleanup();
    }
  });

  it('fails when reading fails, after the batches already read are written', async () => {
    const other = await openTempWarehouse();
    function* failing(): Iterable<RawRecord> {
      let n = 0;
      for (const r of sampleRecords()) {
        if (++n > 1_000) throw Object.assign(new Error('disk gone'), { code: 'EIO' });
        yield r;
      }
    }
    try {
      await expect(
        ingestRecords(failing(), other.warehouse, { context: ctx, batchSize: 100 }),
      ).rejects.toThrow('disk gone');
      const [n] = await other.warehouse.query<{ n: number }>(
        'SELECT (SELECT COUNT(*) FROM `gca_raw.requests`) + (SELECT COUNT(*) FROM `gca_raw.responses`) + (SELECT COUNT(*) FROM `gca_raw.metadata_events`) AS n',
      );
      expect(n?.n).toBeGreaterThan(0);
    } finally {
      await other.cleanup();
    }
  });
});
