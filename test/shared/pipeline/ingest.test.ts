import {
  ingestRecords,
  makeQuarantineRow,
  quarantineRowUnderPolicy,
  QUARANTINE_RAW_CHARS,
  type RawRecord,
} from '../../../shared/pipeline/ingest';
import type { NormalizeContext } from '../../../shared/normalize/outcome';
import type { IngestCounts } from '../../../shared/normalize/outcome';
import {
  entryText,
  makeEntry,
  makeMetadataEntry,
  makeRequestEntry,
  makeResponseEntry,
} from '../../helpers/entries';
import { makeFakeWarehouse } from './fake-warehouse';

const ctx: NormalizeContext = { ingestTime: '2026-01-02T03:04:05.678Z', contentMode: 'full' };

function records(texts: string[], source = 'test'): RawRecord[] {
  return texts.map((text, i) => ({ text, source: `${source}#${i + 1}` }));
}

function conserved(c: IngestCounts): boolean {
  return c.read === c.normalized + c.duplicates + c.quarantined + c.skipped;
}

describe('ingestRecords', () => {
  it('writes each kind to its table and counts every record once', async () => {
    const wh = makeFakeWarehouse();
    const texts = [
      entryText(makeRequestEntry()),
      entryText(makeResponseEntry(['read_file({"absolute_path":"/a.ts"})'])),
      entryText(makeMetadataEntry('codeAcceptance', { originalRequestId: 's1', linesCount: '3' })),
      entryText(makeEntry({ resource: { type: 'gce_instance' } })),
      'not json',
    ];
    const counts = await ingestRecords(records(texts), wh, { context: ctx });
    expect(counts).toEqual({ read: 5, normalized: 3, duplicates: 0, quarantined: 1, skipped: 1 });
    expect(wh.tables.requests.size).toBe(1);
    expect(wh.tables.responses.size).toBe(1);
    expect(wh.tables.metadata_events.size).toBe(1);
    const [q] = [...wh.tables.quarantine.values()];
    expect(q).toMatchObject({
      source: 'test#5',
      reason: 'invalid_json',
      raw: 'not json',
      raw_bytes: 8,
      quarantine_time: '2026-01-02T03:04:05.678000Z',
    });
  });

  it('counts a repeated entry in a batch, and one already stored, as duplicates', async () => {
    const wh = makeFakeWarehouse();
    const text = entryText(makeRequestEntry());
    const first = await ingestRecords(records([text, text]), wh, { context: ctx });
    expect(first).toEqual({ read: 2, normalized: 1, duplicates: 1, quarantined: 0, skipped: 0 });
    const again = await ingestRecords(records([text]), wh, { context: ctx });
    expect(again).toEqual({ read: 1, normalized: 0, duplicates: 1, quarantined: 0, skipped: 0 });
    expect(wh.tables.requests.size).toBe(1);
  });

  it('stores a redelivered bad Pub/Sub message once', async () => {
    const wh = makeFakeWarehouse();
    const rec = { text: '{"broken"', source: 'pubsub', messageId: 'm-1' };
    await ingestRecords([rec], wh, { context: ctx });
    const again = await ingestRecords([rec], wh, { context: ctx });
    expect(again).toEqual({ read: 1, normalized: 0, duplicates: 1, quarantined: 0, skipped: 0 });
    expect(wh.tables.quarantine.size).toBe(1);
    expect([...wh.tables.quarantine.values()][0]).toMatchObject({ message_id: 'm-1' });
  });

  it('writes in batches and reports running totals', async () => {
    const wh = makeFakeWarehouse();
    const texts = Array.from({ length: 7 }, () => entryText(makeMetadataEntry('codeExposure')));
    const seen: IngestCounts[] = [];
    const counts = await ingestRecords(records(texts), wh, {
      context: ctx,
      batchSize: 3,
      onBatch: (c) => seen.push(c),
    });
    expect(counts.normalized).toBe(7);
    expect(wh.calls.map((b) => b.metadata_events.length)).toEqual([3, 3, 1]);
    expect(seen.map((c) => c.normalized)).toEqual([3, 6, 7]);
  });

  it('ends a batch at batchChars characters of record text or batchSize records, whichever first', async () => {
    // Entries of one length: their insertIds differ but have the same width.
    const texts = Array.from({ length: 7 }, (_, i) =>
      entryText(makeMetadataEntry('codeExposure', {}, { insertId: `batch-chars-${i}` })),
    );
    const chars = texts[0]!.length;
    expect(texts.every((t) => t.length === chars)).toBe(true);
    const batchesOf = async (opts: { batchSize?: number; batchChars?: number }) => {
      const wh = makeFakeWarehouse();
      const counts = await ingestRecords(records(texts), wh, { context: ctx, ...opts });
      expect(counts.normalized).toBe(7);
      return wh.calls.map((b) => b.metadata_events.length);
    };
    expect(await batchesOf({ batchSize: 100, batchChars: 2 * chars })).toEqual([2, 2, 2, 1]);
    expect(await batchesOf({ batchSize: 100, batchChars: 2 * chars + 1 })).toEqual([3, 3, 1]);
    expect(await batchesOf({ batchSize: 2, batchChars: 100 * chars })).toEqual([2, 2, 2, 1]);
    // A record larger than the bound is a batch of its own.
    expect(await batchesOf({ batchSize: 100, batchChars: 1 })).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('quarantines rows the warehouse rejects, with reason row_rejected', async () => {
    const wh = makeFakeWarehouse();
    wh.reject = (table, row) =>
      table === 'responses' && row.response_kind === 'task_completion' ? 'bad value' : null;
    const texts = [entryText(makeRequestEntry()), entryText(makeResponseEntry(['hello']))];
    const counts = await ingestRecords(records(texts, 'file:x'), wh, { context: ctx });
    expect(counts).toEqual({ read: 2, normalized: 1, duplicates: 0, quarantined: 1, skipped: 0 });
    const [q] = [...wh.tables.quarantine.values()];
    expect(q).toMatchObject({
      reason: 'row_rejected',
      detail: 'responses: bad value',
      source: 'file:x#2',
      raw: texts[1],
    });
  });

  it('applies the content policy and pseudonymization before writing', async () => {
    const wh = makeFakeWarehouse();
    await ingestRecords(records([entryText(makeRequestEntry())]), wh, {
      context: { ...ctx, contentMode: 'metadata-only', pseudonymizeUser: (u) => `p:${u.length}` },
    });
    const [row] = [...wh.tables.requests.values()];
    expect(row).toMatchObject({
      prompt_text: null,
      content_mode: 'metadata-only',
      user_id: 'p:16',
    });
    expect(row?.message_count).toBe(1);
  });

  it('propagates a transient warehouse error', async () => {
    const wh = makeFakeWarehouse();
    wh.failNext = new Error('503 backend error');
    await expect(
      ingestRecords(records([entryText(makeRequestEntry())]), wh, { context: ctx }),
    ).rejects.toThrow('503');
  });

  it('normalizes the next batch while one write is in flight, never two', async () => {
    const wh = makeFakeWarehouse();
    const insert = wh.insertRaw.bind(wh);
    let inFlight = 0;
    let maxInFlight = 0;
    let writesDone = 0;
    wh.insertRaw = async (batch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Completes on a timer, i.e. after any amount of synchronous or microtask work.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const result = await insert(batch);
      inFlight--;
      writesDone++;
      return result;
    };
    const writesDoneWhenRead: number[] = [];
    function* gen(): Generator<RawRecord> {
      for (let i = 0; i < 10; i++) {
        writesDoneWhenRead.push(writesDone);
        yield { text: entryText(makeMetadataEntry('codeExposure')), source: `s#${i}` };
      }
    }
    const counts = await ingestRecords(gen(), wh, { context: ctx, batchSize: 3 });
    expect(counts).toMatchObject({ read: 10, normalized: 10 });
    expect(maxInFlight).toBe(1);
    // Records 4-6 (the second batch) were read before the first write finished.
    expect(writesDoneWhenRead.slice(3, 6)).toEqual([0, 0, 0]);
    expect(wh.calls.map((b) => b.metadata_events.length)).toEqual([3, 3, 3, 1]);
  });

  it('fails the ingest, with no unhandled rejection, when a write fails during the next batch', async () => {
    const wh = makeFakeWarehouse();
    const insert = wh.insertRaw.bind(wh);
    let calls = 0;
    wh.insertRaw = async (batch) => {
      if (++calls === 1) throw new Error('503 backend error');
      return insert(batch);
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      async function* slow(): AsyncGenerator<RawRecord> {
        for (let i = 0; i < 6; i++) {
          // Macrotask gaps: the failed write's rejection is seen by Node before it is awaited.
          await new Promise((resolve) => setTimeout(resolve, 5));
          yield { text: entryText(makeMetadataEntry('codeExposure')), source: `s#${i}` };
        }
      }
      await expect(ingestRecords(slow(), wh, { context: ctx, batchSize: 2 })).rejects.toThrow(
        '503',
      );
      // Give Node a turn to report a rejection nobody handled.
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    // The failure stopped the ingest at the next batch boundary: batch 2 was never written.
    expect(calls).toBe(1);
  });

  it('reads async iterables', async () => {
    const wh = makeFakeWarehouse();
    async function* gen() {
      yield { text: entryText(makeRequestEntry()), source: 'a' };
      yield { text: '[]', source: 'b' };
    }
    const counts = await ingestRecords(gen(), wh, { context: ctx });
    expect(conserved(counts)).toBe(true);
    expect(counts).toMatchObject({ normalized: 1, quarantined: 1 });
  });
});

describe('quarantineRowUnderPolicy', () => {
  const input = (raw: string) => ({
    source: 'pubsub',
    reason: 'too_large' as const,
    detail: 'd',
    raw,
    quarantineTime: '2026-01-01T00:00:00.000000Z',
  });

  it('scrubs an input longer than the raw kept whole, before the cut (JSON escaping hid secrets)', () => {
    // A tab before the value is `\t` in JSON text: the text scrubber misses it there.
    const prompt = `api_key:\t"sk-live-abcdef123456"\n${'p'.repeat(QUARANTINE_RAW_CHARS)}`;
    const raw = JSON.stringify({ jsonPayload: { prompt }, labels: { user_id: 'bob@x.com' } });
    const row = quarantineRowUnderPolicy(input(raw), 'scrubbed');
    expect(row.raw).not.toContain('sk-live-abcdef123456');
    expect(row.raw).toContain('[FILTERED]');
    expect(row.raw!.length).toBeLessThanOrEqual(QUARANTINE_RAW_CHARS);
    expect(row.raw).toMatch(/"user_id":"bob@x\.com"\]$/);
    // The id and size are those of the input as received.
    expect(row.quarantine_id).toBe(makeQuarantineRow(input(raw)).quarantine_id);
    expect(row.raw_bytes).toBe(raw.length);
    expect(quarantineRowUnderPolicy(input(raw), 'full').raw).toContain('sk-live-abcdef123456');
  });
});

describe('makeQuarantineRow', () => {
  it('keeps within the limit whatever the user_id field looks like', () => {
    const pad = 'p'.repeat(QUARANTINE_RAW_CHARS);
    for (const tail of [
      `"user_id"${' '.repeat(5000)}:"x"`,
      `"user_id":"${'\\u00e9'.repeat(200)}"`,
    ]) {
      const raw = `{"prompt":"${pad}",${tail},"labels":{"user_id":"bob@x.com"}}`;
      const row = makeQuarantineRow({
        ...{ source: 's', reason: 'too_large' as const, detail: 'd' },
        raw,
        quarantineTime: '2026-01-01T00:00:00.000000Z',
      });
      expect(row.raw!.length).toBeLessThanOrEqual(QUARANTINE_RAW_CHARS);
      expect(row.raw).toContain('"user_id":"bob@x.com"');
    }
  });

  it('keeps the user ids a cut drops, after a marker, within the limit (erasure finds the row)', () => {
    // As an export writes an entry: labels after a jsonPayload longer than the limit.
    const entry = {
      insertId: 'i-1',
      jsonPayload: { prompt: 'p'.repeat(QUARANTINE_RAW_CHARS + 100) },
      labels: { user_id: 'bob@x.com' },
      timestamp: '2026-01-01T00:00:00Z',
    };
    const raw = JSON.stringify(entry);
    const row = makeQuarantineRow({
      source: 'pubsub',
      reason: 'invalid_payload',
      detail: 'd',
      raw,
      quarantineTime: '2026-01-01T00:00:00.000000Z',
    });
    expect(row.raw!.length).toBeLessThanOrEqual(QUARANTINE_RAW_CHARS);
    expect(row.raw).toMatch(/\n\[truncated; kept from the rest: "user_id":"bob@x\.com"\]$/);
    expect(row.raw!.startsWith(raw.slice(0, QUARANTINE_RAW_CHARS - 2048))).toBe(true);
    expect(row.raw_bytes).toBe(raw.length);
  });

  it('truncates raw, keeps its size and derives a stable id', () => {
    const raw = `${'x'.repeat(QUARANTINE_RAW_CHARS - 1)}😀tail`;
    const input = {
      source: 'pubsub',
      messageId: 'm',
      reason: 'invalid_json' as const,
      detail: 'd',
      raw,
      quarantineTime: '2026-01-01T00:00:00.000000Z',
    };
    const row = makeQuarantineRow(input);
    // The emoji's surrogate pair straddles the limit: it is dropped whole, not split.
    expect(row.raw).toBe('x'.repeat(QUARANTINE_RAW_CHARS - 1));
    expect(row.raw_bytes).toBe(QUARANTINE_RAW_CHARS - 1 + 4 + 4);
    expect(makeQuarantineRow(input).quarantine_id).toBe(row.quarantine_id);
    expect(makeQuarantineRow({ ...input, messageId: 'n' }).quarantine_id).not.toBe(
      row.quarantine_id,
    );
  });
});
