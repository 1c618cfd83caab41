/**
 * Temporary DuckDB warehouses for tests: a fresh file under os.tmpdir(), schema created,
 * removed by `cleanup()`. Use in beforeEach/afterEach or with `withTempWarehouse`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalStateStore } from '../../shared/state/local';
import type { StateStore } from '../../shared/state/port';
import { REGISTRY } from '../../shared/tables/registry';
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

/** A temp warehouse with a local state store in its directory: what a job runs on. */
export interface TempJobSetup extends TempWarehouse {
  state: StateStore;
}

/** Opens a temp warehouse and a state store beside it; `cleanup()` closes both. */
export async function openTempJobSetup(): Promise<TempJobSetup> {
  const temp = await openTempWarehouse();
  let state: StateStore;
  try {
    state = await openLocalStateStore(join(temp.dir, 'state.json'));
  } catch (err) {
    await temp.cleanup();
    throw err;
  }
  return {
    ...temp,
    state,
    async cleanup() {
      await state.close();
      await temp.cleanup();
    },
  };
}

/**
 * Every table of the registry but those in `skip`, as sorted JSON rows without `updated_at` (the
 * time of the run that wrote them): two warehouses holding the same data compare equal.
 */
export async function snapshotTables(
  w: Warehouse,
  skip: readonly string[] = ['gca_analytics.retention_runs'],
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of REGISTRY) {
    const name = `${t.dataset}.${t.name}`;
    if (skip.includes(name)) continue;
    const rows = await w.query(`SELECT * FROM \`${name}\``);
    out[name] = rows
      .map((r) => {
        const { updated_at: _u, ...rest } = r as Record<string, unknown>;
        return JSON.stringify(rest);
      })
      .sort();
  }
  return out;
}

/**
 * Opens a fixture before each test (or once before all of them, `per: 'all'`) and cleans it up
 * after; returns a stand-in that reads the current one, so a describe block says
 * `const temp = useTempWarehouse();` instead of a `let` and two hooks.
 */
function useFixture<T extends { cleanup(): Promise<void> }>(
  open: () => Promise<T>,
  per: 'test' | 'all',
): T {
  let current: T | undefined;
  const [before, after] = per === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    current = await open();
  });
  after(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as T, {
    get(_target, key) {
      if (!current) throw new Error('the temp fixture exists only inside hooks and tests');
      return current[key as keyof T];
    },
  });
}

/** A temp warehouse for each test of the block (or one for all, `per: 'all'`). */
export function useTempWarehouse(per: 'test' | 'all' = 'test'): TempWarehouse {
  return useFixture(() => openTempWarehouse(), per);
}

/** A temp warehouse and state store for each test of the block (or one for all). */
export function useTempJobSetup(per: 'test' | 'all' = 'test'): TempJobSetup {
  return useFixture(() => openTempJobSetup(), per);
}

/**
 * A warehouse file for each test of the block, created with its schema and closed, for tests that
 * open it themselves with their own options (`path`).
 */
export function useClosedTempWarehouse(): TempWarehouse {
  return useFixture(async () => {
    const temp = await openTempWarehouse();
    await temp.warehouse.close();
    return temp;
  }, 'test');
}
