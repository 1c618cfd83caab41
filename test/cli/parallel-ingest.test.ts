import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestInWorkers, type WorkerSetup } from '../../cli/parallel-ingest';
import type { IngestCounts } from '../../shared/normalize/outcome';
import { ingestRecords, type RawRecord } from '../../shared/pipeline/ingest';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { readExport } from '../../shared/readers/export-reader';
import { writeSampleFile } from '../../cli/sample/generate';
import { RAW_TABLES, type RawTableName } from '../../shared/tables/registry';
import { ndjsonText, type StagedTable } from '../../shared/warehouse/duckdb-stage';
import { openDuckDbWarehouse, type DuckDbWarehouse } from '../../shared/warehouse/duckdb';
import { buildIngestWorker, type BuiltWorker } from '../helpers/ingest-worker';
import { runCli } from './run-cli';

const SETUP: WorkerSetup = {
  ingestTime: '2025-10-20T12:00:00.000Z',
  contentMode: 'scrubbed',
  pseudonymizeKey: null,
};
const KEY = 'parallel-ingest-test-key-0123456789';

let worker: BuiltWorker;
let dir: string;
let sample: string;
let sampleEntries: number;

beforeAll(async () => {
  worker = buildIngestWorker();
  dir = mkdtempSync(join(tmpdir(), 'gca-parallel-'));
  sample = join(dir, 'sample.json');
  // Duplicates, malformed entries and other resource types: every count is exercised.
  const written = await writeSampleFile(sample, {
    seed: 11,
    entries: 3_000,
    users: 12,
    days: 5,
    duplicateRate: 0.05,
    malformedRate: 0.02,
    foreignRate: 0.02,
  });
  sampleEntries = written.entries;
});

afterAll(() => {
  worker.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

let dbSeq = 0;
async function openDb(): Promise<DuckDbWarehouse> {
  const w = await openDuckDbWarehouse(join(dir, `db-${dbSeq++}.duckdb`), {
    bulkCommitRows: 1_000,
  });
  await w.ensureSchema();
  return w;
}

const records = (): AsyncIterable<RawRecord> => readExport(sample, { name: 'sample.json' });

/** Every row of every raw table, in key order. */
async function contents(w: DuckDbWarehouse): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const name of Object.keys(RAW_TABLES) as RawTableName[]) {
    const key = RAW_TABLES[name].key[0] ?? 'entry_key';
    out[name] = await w.query(`SELECT * FROM \`gca_raw.${name}\` ORDER BY ${key}`);
  }
  return out;
}

async function inProcess(setup: WorkerSetup): Promise<{ counts: IngestCounts; rows: unknown }> {
  const w = await openDb();
  try {
    const counts = await ingestRecords(records(), w, {
      context: {
        ingestTime: setup.ingestTime,
        contentMode: setup.contentMode,
        ...(setup.pseudonymizeKey
          ? { pseudonymizeUser: createPseudonymizer(setup.pseudonymizeKey) }
          : {}),
      },
      batchSize: 250,
    });
    return { counts, rows: await contents(w) };
  } finally {
    await w.close();
  }
}

describe('ingest with batches prepared on worker threads', () => {
  it.each([
    ['scrubbed, user ids as they are', SETUP],
    ['full content, pseudonymized users', { ...SETUP, contentMode: 'full', pseudonymizeKey: KEY }],
  ] as const)('stores and counts exactly what the in-process path does (%s)', async (_, setup) => {
    const expected = await inProcess(setup);
    expect(expected.counts.read).toBe(sampleEntries);
    expect(expected.counts.duplicates).toBeGreaterThan(0);
    expect(expected.counts.quarantined).toBeGreaterThan(0);
    expect(expected.counts.skipped).toBeGreaterThan(0);
    const w = await openDb();
    try {
      // Small batches over 3 workers: they finish out of order, and nothing may depend on it.
      const counts = await ingestInWorkers(records(), w, {
        setup,
        batchSize: 97,
        workers: 3,
        script: worker.script,
      });
      expect(counts).toEqual(expected.counts);
      expect(await contents(w)).toEqual(expected.rows);
    } finally {
      await w.close();
    }
  });

  it('quarantines a row the warehouse rejects, with the record it came from', async () => {
    const w = await openDb();
    let rejectedKey = '';
    // The warehouse refuses the first response row it is given: it is not stored and is
    // reported, as DuckDB reports a row it cannot convert.
    const refusing: DuckDbWarehouse = {
      engine: 'duckdb',
      ensureSchema: () => w.ensureSchema(),
      insertRaw: (batch) => w.insertRaw(batch),
      query: (sql, params) => w.query(sql, params),
      execute: (sql, params) => w.execute(sql, params),
      close: () => w.close(),
      insertStaged: async (tables: readonly StagedTable[]) => {
        const responses = tables.find((t) => t.table === 'responses');
        if (rejectedKey || !responses) return w.insertStaged(tables);
        const [first = '', ...rest] = ndjsonText(responses).split('\n');
        rejectedKey = (JSON.parse(first) as { entry_key: string }).entry_key;
        const kept = tables.map((t) =>
          t === responses ? { ...t, ndjson: rest.join('\n'), rows: t.rows - 1 } : t,
        );
        const result = await w.insertStaged(kept.filter((t) => t.rows > 0));
        const refused = { table: 'responses' as const, key: rejectedKey, detail: 'refused' };
        return { ...result, rejected: [...result.rejected, refused] };
      },
    };
    try {
      const counts = await ingestInWorkers(records(), refusing, {
        setup: SETUP,
        batchSize: 500,
        workers: 2,
        script: worker.script,
      });
      expect(counts.read).toBe(
        counts.normalized + counts.duplicates + counts.quarantined + counts.skipped,
      );
      const rows = await w.query<{
        source: string;
        raw: string;
        detail: string;
        insert_id: string;
      }>(
        "SELECT source, raw, detail, insert_id FROM `gca_raw.quarantine` WHERE reason = 'row_rejected'",
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.detail).toBe('responses: refused');
      expect(rows[0]?.source).toMatch(/^file:sample\.json#\d+/);
      const entry = JSON.parse(rows[0]?.raw ?? '{}') as { insertId?: string };
      expect(entry.insertId).toBe(rows[0]?.insert_id);
      const stored = await w.query('SELECT 1 FROM `gca_raw.responses` WHERE entry_key = @k', {
        k: rejectedKey,
      });
      expect(stored).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('fails, without hanging, when a worker fails', async () => {
    const broken = join(dir, 'broken-worker.js');
    writeFileSync(
      broken,
      "require('node:worker_threads').parentPort.on('message', () => { throw new Error('worker broke'); });",
    );
    const w = await openDb();
    try {
      await expect(
        ingestInWorkers(records(), w, { setup: SETUP, batchSize: 100, workers: 2, script: broken }),
      ).rejects.toThrow('worker broke');
    } finally {
      await w.close();
    }
  });

  it('fails when reading fails, after the batches already read are written', async () => {
    async function* failing(): AsyncIterable<RawRecord> {
      let n = 0;
      for await (const r of records()) {
        if (++n > 1_000) throw Object.assign(new Error('disk gone'), { code: 'EIO' });
        yield r;
      }
    }
    const w = await openDb();
    try {
      await expect(
        ingestInWorkers(failing(), w, {
          setup: SETUP,
          batchSize: 100,
          workers: 2,
          script: worker.script,
        }),
      ).rejects.toThrow('disk gone');
      const [n] = await w.query<{ n: number }>(
        'SELECT (SELECT COUNT(*) FROM `gca_raw.requests`) + (SELECT COUNT(*) FROM `gca_raw.responses`) + (SELECT COUNT(*) FROM `gca_raw.metadata_events`) AS n',
      );
      expect(n?.n).toBeGreaterThan(0);
    } finally {
      await w.close();
    }
  });

  it('is what `gca-analytics ingest --workers N` runs, with the same counts', async () => {
    const run = async (workers: string) =>
      runCli(
        [
          'ingest',
          sample,
          '--db',
          join(dir, `cli-${workers}.duckdb`),
          '--json',
          '--workers',
          workers,
        ],
        {
          cwd: dir,
          ingestWorkerScript: worker.script,
        },
      );
    const [inline, threaded] = [await run('0'), await run('2')];
    expect(threaded.code).toBe(0);
    expect(threaded.stdout).toBe(inline.stdout);
    expect(JSON.parse(threaded.stdout)).toMatchObject({ read: sampleEntries });
    const bad = await run('two');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--workers must be a whole number/);
    // The workers really run: a broken worker script fails the ingest, unless told 0 workers.
    const broken = join(dir, 'broken-cli-worker.js');
    writeFileSync(
      broken,
      "require('node:worker_threads').parentPort.on('message', () => { throw new Error('worker broke'); });",
    );
    for (const [workers, code] of [
      ['2', 1],
      ['0', 0],
    ] as const) {
      const db = join(dir, `cli-broken-${workers}.duckdb`);
      const r = await runCli(['ingest', sample, '--db', db, '--json', '--workers', workers], {
        cwd: dir,
        ingestWorkerScript: broken,
      });
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(
        code ? /^gca-analytics: .*an ingest worker failed: worker broke\n$/ : /^$/,
      );
    }
  });
});
