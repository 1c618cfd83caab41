/**
 * A small in-memory fake of the Warehouse port for pipeline tests: it stores raw rows by key,
 * reports duplicates exactly (like DuckDB), and can be told to reject rows or to fail.
 */
import type { RawTableName } from '../../../shared/tables/registry';
import type {
  InsertResult,
  RawBatch,
  RejectedRow,
  Warehouse,
} from '../../../shared/warehouse/port';

type StoredRow = { [key: string]: unknown };

export interface FakeWarehouse extends Warehouse {
  tables: Record<RawTableName, Map<string, StoredRow>>;
  calls: RawBatch[];
  /** Rows for which this returns a rejection detail are refused. */
  reject?: (table: RawTableName, row: StoredRow) => string | null;
  /** Thrown by the next insertRaw (then cleared). */
  failNext?: Error;
}

function keyOf(table: RawTableName, row: StoredRow): string {
  return String(table === 'quarantine' ? row.quarantine_id : row.entry_key);
}

export function makeFakeWarehouse(): FakeWarehouse {
  const fake: FakeWarehouse = {
    engine: 'duckdb',
    tables: {
      requests: new Map(),
      responses: new Map(),
      metadata_events: new Map(),
      quarantine: new Map(),
    },
    calls: [],
    async ensureSchema() {},
    async insertRaw(batch: RawBatch): Promise<InsertResult> {
      if (fake.failNext) {
        const err = fake.failNext;
        fake.failNext = undefined;
        throw err;
      }
      fake.calls.push(batch);
      let inserted = 0;
      let duplicates = 0;
      const rejected: RejectedRow[] = [];
      for (const table of Object.keys(fake.tables) as RawTableName[]) {
        for (const row of batch[table] as StoredRow[]) {
          const key = keyOf(table, row);
          const why = fake.reject?.(table, row) ?? null;
          if (why !== null) {
            rejected.push({ table, key, detail: why });
          } else if (fake.tables[table].has(key)) {
            duplicates++;
          } else {
            fake.tables[table].set(key, row);
            inserted++;
          }
        }
      }
      return { inserted, duplicates, rejected };
    },
    async query() {
      return [];
    },
    async execute() {
      return 0;
    },
    async close() {},
  };
  return fake;
}
