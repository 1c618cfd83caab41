import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../shared/config';
import {
  createDeps,
  createDepsProvider,
  DEFAULT_FACTORIES,
  duckDbLockHolder,
  isDuckDbFileOrAbsent,
  NotADuckDbFileError,
  openDuckDb,
  openState,
  openWarehouse,
  type DepsFactories,
} from '../../shared/deps';
import { makeQuarantineRow } from '../../shared/pipeline/ingest';
import type { StateStore } from '../../shared/state/port';
import type { Warehouse } from '../../shared/warehouse/port';

let dir: string;
let local: Config;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-deps-'));
  local = parseConfig({
    GCA_WAREHOUSE: `duckdb:${join(dir, 'w.duckdb')}`,
    GCA_STATE: `local:${join(dir, 'w.state.json')}`,
  });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Real factories, counting opens and closes. */
function counting(base: DepsFactories = DEFAULT_FACTORIES) {
  const n = { warehouseOpens: 0, warehouseCloses: 0, stateOpens: 0, stateCloses: 0 };
  const factories: DepsFactories = {
    async openWarehouse(config) {
      const w = await base.openWarehouse(config);
      n.warehouseOpens++;
      const close = w.close.bind(w);
      return Object.assign(Object.create(w) as Warehouse, {
        close: async () => {
          n.warehouseCloses++;
          await close();
        },
      });
    },
    async openState(config) {
      const s = await base.openState(config);
      n.stateOpens++;
      return { ...s, close: async () => void (n.stateCloses++, await s.close()) };
    },
  };
  return { n, factories };
}

describe('createDeps (local)', () => {
  it('opens DuckDB with its schema and the local state file', async () => {
    const deps = await createDeps(local);
    try {
      expect(deps.warehouse.engine).toBe('duckdb');
      const rows = await deps.warehouse.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`',
      );
      expect(rows).toEqual([{ n: 0 }]);
      await deps.state.setWatermark('recompute', '2025-10-08T00:00:00.000000Z');
      expect(await deps.state.getWatermark('recompute')).toBe('2025-10-08T00:00:00.000000Z');
    } finally {
      await deps.warehouse.close();
      await deps.state.close();
    }
  });
});

describe('createDepsProvider', () => {
  it('local: opens the DuckDB file per invocation and closes it after, the state store once', async () => {
    const { n, factories } = counting();
    const provider = createDepsProvider(local, factories);
    for (let i = 0; i < 3; i++) {
      await provider.use(async ({ warehouse }) => {
        await warehouse.query('SELECT 1 AS x');
      });
    }
    expect(n).toMatchObject({ warehouseOpens: 3, warehouseCloses: 3, stateOpens: 1 });
    // Closed, so another opener (the CLI, another target) gets the file.
    const again = await DEFAULT_FACTORIES.openWarehouse(local);
    await again.close();
    await provider.close();
    expect(n.stateCloses).toBe(1);
  });

  it('local: concurrent invocations take turns on the file, so no write is lost', async () => {
    const provider = createDepsProvider(local);
    const rows = Array.from({ length: 12 }, (_, i) =>
      makeQuarantineRow({
        source: 'pubsub',
        messageId: `m-${i}`,
        reason: 'invalid_json',
        detail: 'x',
        raw: `raw ${i}`,
        quarantineTime: '2025-10-08T00:00:00.000000Z',
      }),
    );
    await Promise.all(
      rows.map((row) =>
        provider.use(({ warehouse }) =>
          warehouse.insertRaw({
            requests: [],
            responses: [],
            metadata_events: [],
            quarantine: [row],
          }),
        ),
      ),
    );
    const n = await provider.use(({ warehouse }) =>
      warehouse.query<{ n: number }>('SELECT COUNT(*) AS n FROM `gca_raw.quarantine`'),
    );
    expect(n).toEqual([{ n: 12 }]);
    await provider.close();
  });

  it('useWarehouse never opens the state store', async () => {
    const { n, factories } = counting();
    const provider = createDepsProvider(local, factories);
    await provider.useWarehouse(async (warehouse) => {
      await warehouse.query('SELECT 1 AS x');
    });
    expect(n).toMatchObject({ warehouseOpens: 1, warehouseCloses: 1, stateOpens: 0 });
    await provider.close();
  });

  it('local: closes the warehouse when the invocation fails', async () => {
    const { n, factories } = counting();
    const provider = createDepsProvider(local, factories);
    await expect(provider.use(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(n).toMatchObject({ warehouseOpens: 1, warehouseCloses: 1 });
    await provider.close();
  });

  it('cloud: creates the clients on first use only and reuses them; a failed open is retried', async () => {
    const cloud = parseConfig({ GOOGLE_CLOUD_PROJECT: 'p' });
    let warehouseOpens = 0;
    let failFirst = true;
    const fakeWarehouse = {
      engine: 'bigquery',
      close: async () => undefined,
    } as unknown as Warehouse;
    const fakeState = { close: async () => undefined } as unknown as StateStore;
    const provider = createDepsProvider(cloud, {
      openWarehouse: async () => {
        warehouseOpens++;
        if (failFirst) {
          failFirst = false;
          throw Object.assign(new Error('metadata server unavailable'), { code: 'ECONNRESET' });
        }
        return fakeWarehouse;
      },
      openState: async () => fakeState,
    });
    expect(warehouseOpens).toBe(0);
    await expect(provider.use(async () => 1)).rejects.toThrow('metadata server unavailable');
    const seen: Warehouse[] = [];
    for (let i = 0; i < 3; i++)
      await provider.use(async ({ warehouse }) => void seen.push(warehouse));
    expect(warehouseOpens).toBe(2);
    expect(new Set(seen)).toEqual(new Set([fakeWarehouse]));
    await provider.close();
  });
});

/** Every TCP or TLS connection, HTTP/1, HTTP/2 and gRPC alike, goes through Socket#connect. */
function spyOnConnect(): jest.SpyInstance {
  return jest.spyOn(Socket.prototype, 'connect');
}

afterEach(() => jest.restoreAllMocks());

describe('openWarehouse (bigquery)', () => {
  it('builds a BigQuery warehouse without any network call', async () => {
    const connect = spyOnConnect();
    const warehouse = await openWarehouse(parseConfig({ GOOGLE_CLOUD_PROJECT: 'p' }));
    expect(warehouse.engine).toBe('bigquery');
    await warehouse.close();
    expect(connect).not.toHaveBeenCalled();
  });
});

describe('openState (firestore)', () => {
  it('builds a Firestore-backed store without any network call', async () => {
    const connect = spyOnConnect();
    const store = await openState(
      parseConfig({ GOOGLE_CLOUD_PROJECT: 'p', GCA_WAREHOUSE: `duckdb:${join(dir, 'x.duckdb')}` }),
    );
    expect(typeof store.acquireLease).toBe('function');
    await store.close();
    expect(connect).not.toHaveBeenCalled();
  });
});

describe('openDuckDb: the one DuckDB opener', () => {
  it('refuses a file that is not a DuckDB database, leaving it as it was', async () => {
    const path = join(dir, 'export.json');
    writeFileSync(path, '[{"insertId":"x"}]\n');
    await expect(openDuckDb(path)).rejects.toBeInstanceOf(NotADuckDbFileError);
    expect(readFileSync(path, 'utf8')).toBe('[{"insertId":"x"}]\n');
    expect(await isDuckDbFileOrAbsent(join(dir, 'absent.duckdb'))).toBe(true);
  });

  it('creates the schema in a new file, even where a file of that name was ensured before', async () => {
    const path = join(dir, 'nested', 'w.duckdb');
    for (let round = 0; round < 2; round++) {
      const w = await openDuckDb(path);
      try {
        const rows = await w.query<{ n: number }>('SELECT COUNT(*) AS n FROM `gca_raw.requests`');
        expect(rows[0]?.n).toBe(0);
      } finally {
        await w.close();
      }
      // Removed and made again: the process must not trust its memory of the old file.
      rmSync(path, { force: true });
    }
  });

  it("names the process holding a file from DuckDB's lock error", () => {
    const err = new Error(
      'IO Error: Could not set lock on file "/x.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242). See also https://duckdb.org/docs/stable/connect/concurrency',
    );
    expect(duckDbLockHolder(err)).toEqual({ program: '/usr/bin/node', pid: 4242 });
    expect(duckDbLockHolder(new Error('Catalog Error: no table'))).toBeNull();
  });
});
