import { ingestRecords, type RawRecord } from '../../../shared/pipeline/ingest';
import type { NormalizeContext } from '../../../shared/normalize/outcome';
import type { RawBatch } from '../../../shared/warehouse/port';
import { entryText, makeRequestEntry } from '../../helpers/entries';
import { makeFakeWarehouse, type FakeWarehouse } from './fake-warehouse';

const ctx: NormalizeContext = { ingestTime: '2026-01-02T03:04:05.678Z', contentMode: 'full' };

/**
 * A warehouse whose writes are done only after `turns` turns of the event loop, as DuckDB's
 * are (each INSERT of a batch is started by the completion of the one before, in a later turn).
 */
function warehouseNeedingTurns(turns: number): FakeWarehouse {
  const fake = makeFakeWarehouse();
  const insert = fake.insertRaw.bind(fake);
  fake.insertRaw = async (batch: RawBatch) => {
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    return insert(batch);
  };
  return fake;
}

/** The records, synchronously (no turn of the event loop in between, like a read-ahead file). */
function* feed(texts: string[], atLast: () => void): Generator<RawRecord> {
  for (let i = 0; i < texts.length; i++) {
    if (i === texts.length - 1) atLast();
    yield { text: texts[i] as string, source: `test#${i + 1}` };
  }
}

describe('ingestRecords overlaps normalizing with writing', () => {
  it('lets a write in flight progress while the next batch is normalized', async () => {
    const wh = warehouseNeedingTurns(3);
    const texts = Array.from({ length: 4000 }, () => entryText(makeRequestEntry()));
    let writtenBeforeLastRecord = -1;
    const counts = await ingestRecords(
      feed(texts, () => (writtenBeforeLastRecord = wh.calls.length)),
      wh,
      { context: ctx, batchSize: 2000 },
    );
    // The first batch was written while the second was normalized, not once it was submitted.
    expect(writtenBeforeLastRecord).toBe(1);
    expect(counts).toEqual({
      read: 4000,
      normalized: 4000,
      duplicates: 0,
      quarantined: 0,
      skipped: 0,
    });
    expect(wh.calls.map((b) => b.requests.length)).toEqual([2000, 2000]);
  });
});
