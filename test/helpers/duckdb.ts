/**
 * Temporary DuckDB warehouses for tests: a fresh file under os.tmpdir(), schema created,
 * removed by `cleanup()`. Use in beforeEach/afterEach or with `withTempWarehouse`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckDbWarehouse } from '../../shared/warehouse/duckdb';
import type { Warehouse } from '../../shared/warehouse/port';

export interface TempWarehouse {
  warehouse: Warehouse;
  /** Path of the database file (reopen it with openDuckDbWarehouse after closing). */
  path: string;
  dir: string;
  /** Closes the warehouse (if still open) and deletes the directory. */
  cleanup(): Promise<void>;
}

/** Opens a new DuckDB file in a temp directory; `ensureSchema` has run unless told otherwise. */
export async function openTempWarehouse(
  opts: { ensureSchema?: boolean } = {},
): Promise<TempWarehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gca-duckdb-'));
  const path = join(dir, 'test.duckdb');
  let warehouse: Warehouse;
  try {
    warehouse = await openDuckDbWarehouse(path);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  try {
    if (opts.ensureSchema ?? true) await warehouse.ensureSchema();
  } catch (err) {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    warehouse,
    path,
    dir,
    async cleanup() {
      await warehouse.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with a temp warehouse and always cleans up. */
export async function withTempWarehouse<T>(fn: (w: Warehouse) => Promise<T>): Promise<T> {
  const temp = await openTempWarehouse();
  try {
    return await fn(temp.warehouse);
  } finally {
    await temp.cleanup();
  }
}
