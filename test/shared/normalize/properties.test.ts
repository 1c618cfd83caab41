/**
 * Property tests: for any input (valid, mutated valid, garbage), normalization returns exactly
 * one outcome without throwing, rows have every registry column with a value of its type, and
 * through the pipeline read = normalized + duplicates + quarantined + skipped.
 */
import fc from 'fast-check';
import { normalizeEntry, normalizeText } from '../../../shared/normalize/normalize';
import type { NormalizeContext, NormalizeOutcome } from '../../../shared/normalize/outcome';
import { ingestRecords } from '../../../shared/pipeline/ingest';
import {
  QUARANTINE_REASONS,
  RAW_TABLES,
  type ColumnDef,
  type TableDef,
} from '../../../shared/tables/registry';
import { makeEntry } from '../../helpers/entries';
import { anyInput, anyText, validEntry } from './arbitraries';
import { makeFakeWarehouse } from '../pipeline/fake-warehouse';

const ctx: NormalizeContext = { ingestTime: '2026-01-01T00:00:00Z', contentMode: 'full' };
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function checkValue(col: ColumnDef, v: unknown, where: string): void {
  const fail = (why: string) => {
    throw new Error(`${where}.${col.name}: ${why} (${JSON.stringify(v)})`);
  };
  if (v === null) {
    if (col.mode !== 'NULLABLE') fail('null in a non-nullable column');
    return;
  }
  switch (col.type) {
    case 'STRING':
      if (typeof v !== 'string') fail('not a string');
      break;
    case 'TIMESTAMP':
      if (typeof v !== 'string' || !TIMESTAMP.test(v)) fail('not a microsecond timestamp');
      break;
    case 'JSON':
      if (typeof v !== 'string') fail('not JSON text');
      JSON.parse(v as string);
      break;
    case 'INT64':
      if (!Number.isSafeInteger(v)) fail('not an integer');
      break;
    case 'BOOL':
      if (typeof v !== 'boolean') fail('not a boolean');
      break;
    case 'RECORD':
      checkColumns(col.fields ?? [], v, `${where}.${col.name}`);
      break;
    default:
      fail(`unexpected type ${col.type}`);
  }
}

/** Every column present, nothing else, each value of its column's type and mode. */
function checkColumns(cols: readonly ColumnDef[], row: unknown, where: string): void {
  if (typeof row !== 'object' || row === null) throw new Error(`${where}: not an object`);
  const keys = Object.keys(row).sort();
  expect(keys).toEqual(cols.map((c) => c.name).sort());
  for (const col of cols) {
    const v = (row as Record<string, unknown>)[col.name];
    if (col.mode === 'REPEATED') {
      if (!Array.isArray(v)) throw new Error(`${where}.${col.name}: not an array`);
      for (const item of v) checkValue({ ...col, mode: 'REQUIRED' }, item, where);
    } else {
      checkValue(col, v, where);
    }
  }
}

const TABLE_OF: Record<string, TableDef> = {
  request: RAW_TABLES.requests,
  response: RAW_TABLES.responses,
  metadata: RAW_TABLES.metadata_events,
};

/** The invariant of every outcome. */
function checkOutcome(o: NormalizeOutcome): void {
  switch (o.kind) {
    case 'request':
    case 'response':
    case 'metadata':
      checkColumns((TABLE_OF[o.kind] as TableDef).columns, o.row, o.kind);
      break;
    case 'skipped':
      expect(o.reason).toBe('foreign_resource');
      break;
    case 'quarantined':
      expect(QUARANTINE_REASONS).toContain(o.reason);
      expect(typeof o.detail).toBe('string');
      expect(o.detail.length).toBeGreaterThan(0);
      expect(o.insertId === null || typeof o.insertId === 'string').toBe(true);
      break;
    default:
      throw new Error(`unknown outcome ${JSON.stringify(o)}`);
  }
}

describe('normalization is total', () => {
  it('normalizeEntry returns exactly one valid outcome for any input', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        checkOutcome(normalizeEntry(input, ctx));
      }),
      { numRuns: 500 },
    );
  });

  it('normalizeText returns exactly one valid outcome for any text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        checkOutcome(normalizeText(text, ctx));
      }),
      { numRuns: 500 },
    );
  });

  it('valid entries always give rows', () => {
    fc.assert(
      fc.property(validEntry, (entry) => {
        expect(['request', 'response', 'metadata']).toContain(normalizeEntry(entry, ctx).kind);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the pipeline conserves counts', () => {
  it('read = normalized + duplicates + quarantined + skipped, for any mix and batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            anyText,
            validEntry.map((e) => JSON.stringify(e)),
            fc.constant(JSON.stringify(makeEntry({ resource: { type: 'gce_instance' } }))),
          ),
          { maxLength: 30 },
        ),
        fc.nat({ max: 3 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom('full', 'scrubbed', 'metadata-only' as const),
        async (texts, repeats, batchSize, contentMode) => {
          // Repeat a prefix so batches hold redelivered entries too.
          const all = [...texts, ...texts.slice(0, repeats)];
          const wh = makeFakeWarehouse();
          const counts = await ingestRecords(
            all.map((text, i) => ({ text, source: `t#${i}` })),
            wh,
            { context: { ...ctx, contentMode }, batchSize },
          );
          expect(counts.read).toBe(all.length);
          expect(counts.normalized + counts.duplicates + counts.quarantined + counts.skipped).toBe(
            counts.read,
          );
          const stored =
            wh.tables.requests.size + wh.tables.responses.size + wh.tables.metadata_events.size;
          expect(stored).toBe(counts.normalized);
          expect(wh.tables.quarantine.size).toBe(counts.quarantined);
        },
      ),
      { numRuns: 150 },
    );
  });
});
