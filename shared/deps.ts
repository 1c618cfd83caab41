/**
 * Chooses the adapters from configuration and manages their lifetimes:
 * - cloud (BigQuery, Firestore): clients are created on the first invocation, not at import
 *   (cold start), and reused by every later invocation of the process;
 * - local (DuckDB, a JSON file): a DuckDB file has one writer per process and local mode runs one
 *   functions-framework process per target, so the warehouse is opened per invocation and closed
 *   after it; a lock held by another process surfaces as a transient error (non-2xx, retried).
 *
 * Adapter modules are required lazily inside their branch: the cloud bundle never loads the
 * native DuckDB module, and importing an entry point loads no SDK at all.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { StateConfig, WarehouseConfig } from './config';
import { KeyedQueue } from './keyed-queue';
import type { StateStore } from './state/port';
import type { DuckDbWarehouse, DuckDbWarehouseOptions } from './warehouse/duckdb';
import type { Warehouse } from './warehouse/port';

/** The ports an entry point works through. */
export interface Deps {
  warehouse: Warehouse;
  state: StateStore;
}

/** How each port is opened; injectable so tests can wrap a real adapter. */
export interface DepsFactories {
  openWarehouse(config: WarehouseConfig): Promise<Warehouse>;
  openState(config: StateConfig): Promise<StateStore>;
}

/** How a warehouse is opened beyond what the environment says. */
export interface OpenWarehouseOptions {
  /** DuckDB only: bulk transactions of this many rows (the command's ingest; see duckdb.ts). */
  bulkCommitRows?: number;
}

/** Opens the warehouse `config.warehouse` names, creating its schema objects when local. */
export async function openWarehouse(
  config: WarehouseConfig,
  opts: OpenWarehouseOptions = {},
): Promise<Warehouse> {
  switch (config.warehouse.kind) {
    case 'duckdb':
      return openDuckDb(config.warehouse.path, opts);
    case 'bigquery':
      return openBigQuery(config);
  }
}

/** A file given as a DuckDB warehouse that is something else (e.g. an export passed as --db). */
export class NotADuckDbFileError extends Error {
  override readonly name = 'NotADuckDbFileError';
  constructor(readonly path: string) {
    super(`${path} is not a DuckDB database`);
  }
}

/** Bytes 8-11 of every DuckDB database file (its main header). */
const DUCKDB_MAGIC = Buffer.from('DUCK');

/**
 * True when `path` is absent, empty, or a DuckDB database (by its header). DuckDB itself opens
 * some other files as a fresh database (a JSON file, say) and drops what it wrote on close.
 */
export async function isDuckDbFileOrAbsent(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return true;
    throw err;
  }
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    if (bytesRead === 0) return true;
    return bytesRead === 12 && head.subarray(8, 12).equals(DUCKDB_MAGIC);
  } finally {
    await handle.close();
  }
}

/**
 * The one way a DuckDB warehouse is opened (the functions in local mode, the command): the
 * parent directory created, a file that is not a DuckDB database refused before anything is
 * written (NotADuckDbFileError), the schema ensured (once per process for a file that existed;
 * always for a new one). A lock held by another process surfaces as DuckDB's own error, which
 * shared/errors.ts classifies as transient; see duckDbLockHolder to describe it.
 */
export async function openDuckDb(
  path: string,
  opts: DuckDbWarehouseOptions = {},
): Promise<DuckDbWarehouse> {
  if (path !== ':memory:') {
    await mkdir(dirname(resolvePath(path)), { recursive: true });
    if (!(await isDuckDbFileOrAbsent(path))) throw new NotADuckDbFileError(path);
  }
  const fresh = path === ':memory:' || !existsSync(path) || statSync(path).size === 0;
  // Lazy: loads the native module in local mode only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const duckdb = require('./warehouse/duckdb') as typeof import('./warehouse/duckdb');
  const warehouse = await duckdb.openDuckDbWarehouse(path, opts);
  try {
    if (fresh) ensuredDuckDbFiles.delete(resolvePath(path));
    await ensureSchemaOnce(path, warehouse);
  } catch (err) {
    await warehouse.close();
    throw err;
  }
  return warehouse;
}

/**
 * The process holding a DuckDB file, from DuckDB's lock error ("Could not set lock on file ...:
 * Conflicting lock is held in PROGRAM (PID N)"); null for any other error.
 */
export function duckDbLockHolder(err: unknown): { pid: number | null; program: string } | null {
  const message =
    typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
  if (!/could not set lock on file/i.test(message)) return null;
  const held = /lock is held in (.+?) \(PID (\d+)\)/i.exec(message);
  return { program: held?.[1] ?? 'another process', pid: held ? Number(held[2]) : null };
}

/** Opens the state store `config.state` names. */
export async function openState(config: StateConfig): Promise<StateStore> {
  switch (config.state.kind) {
    case 'local': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const local = require('./state/local') as typeof import('./state/local');
      return local.openLocalStateStore(config.state.path);
    }
    case 'firestore':
      return openFirestore(config);
  }
}

export const DEFAULT_FACTORIES: DepsFactories = { openWarehouse, openState };

/**
 * Opens both ports for `config`: BigQuery + Firestore in the cloud, DuckDB + a local file
 * locally (any mix works). The caller owns them and closes them.
 */
export async function createDeps(
  config: WarehouseConfig & StateConfig,
  factories: DepsFactories = DEFAULT_FACTORIES,
): Promise<Deps> {
  const state = await factories.openState(config);
  try {
    return { warehouse: await factories.openWarehouse(config), state };
  } catch (err) {
    await state.close();
    throw err;
  }
}

/** Gives invocations their ports with the right lifetime (see the module comment). */
export interface DepsProvider {
  /** Runs `fn` with the ports; per-invocation ports are closed when it settles. */
  use<T>(fn: (deps: Deps) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` with the warehouse only: the state store is neither opened nor loaded (ingest
   * never needs it, and the Firestore SDK is the heaviest module of a cold start).
   */
  useWarehouse<T>(fn: (warehouse: Warehouse) => Promise<T>): Promise<T>;
  /** Closes the ports kept across invocations (tests, graceful shutdown). */
  close(): Promise<void>;
}

/** A port kept for the life of the process, opened on first use; a failed open is retried. */
function lazyShared<T>(open: () => Promise<T>): { get(): Promise<T>; peek(): Promise<T> | null } {
  let pending: Promise<T> | null = null;
  return {
    get() {
      if (!pending) {
        pending = open();
        // A failed open (e.g. a transient auth error) must not poison every later invocation.
        pending.catch(() => {
          pending = null;
        });
      }
      return pending;
    },
    peek: () => pending,
  };
}

/**
 * Creates the provider of an entry point. The DuckDB warehouse is per invocation; every other
 * port is shared across invocations.
 */
export function createDepsProvider(
  config: WarehouseConfig & StateConfig,
  factories: DepsFactories = DEFAULT_FACTORIES,
): DepsProvider {
  // A DuckDB file is opened per invocation; every other port is shared.
  const duckDbPath = config.warehouse.kind === 'duckdb' ? config.warehouse.path : null;
  const perInvocationWarehouse = duckDbPath !== null;
  const state = lazyShared(() => factories.openState(config));
  const warehouse = lazyShared(() => factories.openWarehouse(config));
  const withWarehouse = async <T>(fn: (w: Warehouse) => Promise<T>): Promise<T> => {
    if (duckDbPath === null) return fn(await warehouse.get());
    // Concurrent invocations of one process must not open the file twice: two DuckDB
    // instances on one file in one process do not see each other's writes (the OS lock is
    // per process), so the last to checkpoint would silently drop the other's rows.
    return withFileLock(duckDbPath, async () => {
      const local = await factories.openWarehouse(config);
      try {
        return await fn(local);
      } finally {
        await local.close();
      }
    });
  };
  return {
    async use(fn) {
      const stateStore = await state.get();
      return withWarehouse((w) => fn({ warehouse: w, state: stateStore }));
    },
    useWarehouse: withWarehouse,
    async close() {
      const open = [state.peek(), perInvocationWarehouse ? null : warehouse.peek()];
      for (const pending of open) {
        if (!pending) continue;
        const port = await pending.catch(() => null);
        await port?.close();
      }
    },
  };
}

/** The invocations using each DuckDB file in this process, one at a time per file. */
const fileQueue = new KeyedQueue();

/** Runs `fn` when every earlier `fn` on the same file (in this process) has settled. */
function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  return fileQueue.run(resolvePath(path), fn);
}

/** DuckDB files whose schema this process has ensured: DDL once per process, not per message. */
const ensuredDuckDbFiles = new Set<string>();

async function ensureSchemaOnce(path: string, warehouse: Warehouse): Promise<void> {
  const key = resolvePath(path);
  if (ensuredDuckDbFiles.has(key)) return;
  await warehouse.ensureSchema();
  ensuredDuckDbFiles.add(key);
}

async function openBigQuery(config: WarehouseConfig): Promise<Warehouse> {
  // parseConfig requires a project whenever the cloud adapters are chosen.
  if (!config.projectId) throw new Error('GCA_WAREHOUSE=bigquery needs GOOGLE_CLOUD_PROJECT');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bigquery = require('./warehouse/bigquery') as typeof import('./warehouse/bigquery');
  // No ensureSchema here: the Pulumi program owns datasets and tables in the cloud, and the
  // functions' service accounts may only write rows and run jobs.
  return bigquery.createBigQueryWarehouse({
    projectId: config.projectId,
    location: config.bqLocation,
    datasets: { gca_raw: config.rawDataset, gca_analytics: config.analyticsDataset },
    labels: { app: 'gca-analytics' },
  });
}

async function openFirestore(config: StateConfig): Promise<StateStore> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@google-cloud/firestore') as typeof import('@google-cloud/firestore');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = require('./state/firestore') as typeof import('./state/firestore');
  // FIRESTORE_EMULATOR_HOST, when set, is honoured by the SDK itself.
  const firestore = new sdk.Firestore({
    ...(config.projectId ? { projectId: config.projectId } : {}),
    databaseId: config.firestoreDatabase,
  });
  return store.createFirestoreStateStore(firestore, {
    collection: config.firestoreCollection,
    // The store is the client's only user in a function process.
    terminateOnClose: true,
  });
}
