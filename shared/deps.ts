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
import { resolve as resolvePath } from 'node:path';
import type { Config } from './config';
import type { StateStore } from './state/port';
import type { Warehouse } from './warehouse/port';

/** The ports an entry point works through. */
export interface Deps {
  warehouse: Warehouse;
  state: StateStore;
}

/** How each port is opened; injectable so tests can wrap a real adapter. */
export interface DepsFactories {
  openWarehouse(config: Config): Promise<Warehouse>;
  openState(config: Config): Promise<StateStore>;
}

/** Opens the warehouse `config.warehouse` names, creating its schema objects when local. */
export async function openWarehouse(config: Config): Promise<Warehouse> {
  switch (config.warehouse.kind) {
    case 'duckdb': {
      // Lazy: loads the native module in local mode only.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const duckdb = require('./warehouse/duckdb') as typeof import('./warehouse/duckdb');
      const warehouse = await duckdb.openDuckDbWarehouse(config.warehouse.path);
      try {
        await ensureSchemaOnce(config.warehouse.path, warehouse);
      } catch (err) {
        await warehouse.close();
        throw err;
      }
      return warehouse;
    }
    case 'bigquery':
      return openBigQuery(config);
  }
}

/** Opens the state store `config.state` names. */
export async function openState(config: Config): Promise<StateStore> {
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
  config: Config,
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
  config: Config,
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

/** Tail of the queue of invocations using each DuckDB file in this process. */
const fileQueues = new Map<string, Promise<unknown>>();

/** Runs `fn` when every earlier `fn` on the same file (in this process) has settled. */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const key = resolvePath(path);
  const previous = fileQueues.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  fileQueues.set(key, tail);
  try {
    return await run;
  } finally {
    // Forget the file once nothing is queued behind this invocation.
    if (fileQueues.get(key) === tail) fileQueues.delete(key);
  }
}

/** DuckDB files whose schema this process has ensured: DDL once per process, not per message. */
const ensuredDuckDbFiles = new Set<string>();

async function ensureSchemaOnce(path: string, warehouse: Warehouse): Promise<void> {
  if (ensuredDuckDbFiles.has(path)) return;
  await warehouse.ensureSchema();
  ensuredDuckDbFiles.add(path);
}

async function openBigQuery(config: Config): Promise<Warehouse> {
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

async function openFirestore(config: Config): Promise<StateStore> {
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
