/**
 * The pipeline on the real DuckDB adapter: counts are conserved, the tables hold exactly the
 * counted rows, and ingesting the same input again changes nothing (every record a duplicate).
 */
import { ingestRecords, type RawRecord } from '../../../shared/pipeline/ingest';
import type { IngestCounts, NormalizeContext } from '../../../shared/normalize/outcome';
import { generateSample } from '../../../cli/sample/generate';
import { openTempWarehouse, type TempWarehouse } from '../../helpers/duckdb';

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
  let temp: TempWarehouse;
  beforeAll(async () => {
    temp = await openTempWarehouse();
  });
  afterAll(async () => {
    await temp.cleanup();
  });

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
});
