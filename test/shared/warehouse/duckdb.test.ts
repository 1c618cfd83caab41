import { existsSync, statSync } from 'node:fs';
import { openDuckDbWarehouse, ROW_GROUP_SIZE } from '../../../shared/warehouse/duckdb';
import type { Warehouse } from '../../../shared/warehouse/port';
import type { MetadataEventRow } from '../../../shared/tables/registry';
import { useClosedTempWarehouse, useTempWarehouse } from '../../helpers/duckdb';
// The row builders, as the other DuckDB tests import them.
import {
  batchOf,
  eventsBatch,
  makeMetadataEvent,
  makeQuarantine,
  makeRequest,
  makeResponse,
} from '../../helpers/metadata-events';

describe('DuckDB warehouse adapter', () => {
  const temp = useTempWarehouse();

  it('creates both schemas, every table and view, idempotently', async () => {
    await temp.warehouse.ensureSchema();
    const rows = await temp.warehouse.query<{ schema_name: string; table_name: string }>(
      `SELECT table_schema AS schema_name, table_name FROM information_schema.tables
       WHERE table_schema IN ('gca_raw', 'gca_analytics') ORDER BY 1, 2`,
    );
    expect(rows.map((r) => `${r.schema_name}.${r.table_name}`)).toEqual([
      'gca_analytics.acceptance_daily',
      'gca_analytics.daily_active_users',
      'gca_analytics.interactions',
      'gca_analytics.lines_accepted_daily',
      'gca_analytics.retention_runs',
      'gca_analytics.suggestions',
      'gca_analytics.user_teams',
      'gca_raw.dataset_members',
      'gca_raw.datasets',
      'gca_raw.metadata_events',
      'gca_raw.quarantine',
      'gca_raw.requests',
      'gca_raw.responses',
    ]);
  });

  it('round-trips nested, JSON, timestamp and numeric columns in registry conventions', async () => {
    const req = makeRequest({
      request_id: 'q1',
      at: '2025-10-08T10:09:52.225165Z',
      context_files: [
        { path: 'a.go', extension: 'go', language: 'go', states: ['EDITED', 'OPEN'], chars: 12 },
      ],
      tool_results: [{ name: 'read_file', chars: 3 }],
      payload: JSON.stringify({ x: [1, 'two'] }),
    });
    const resp = makeResponse({
      request_id: 'q1',
      at: '2025-10-08T10:09:53.000001Z',
      tool_calls: [
        { name: 'read_file', arguments: JSON.stringify({ path: "it's.go" }) },
        { name: 'replace', arguments: null },
      ],
    });
    const result = await temp.warehouse.insertRaw(
      batchOf({ requests: [req], responses: [resp], quarantine: [makeQuarantine()] }),
    );
    expect(result).toEqual({ inserted: 3, duplicates: 0, rejected: [] });
    const [got] = await temp.warehouse.query('SELECT * FROM `gca_raw.requests`');
    expect(got).toEqual(req);
    const [gotResp] = await temp.warehouse.query('SELECT * FROM `gca_raw.responses`');
    expect(gotResp).toEqual(resp);
    const [q] = await temp.warehouse.query('SELECT * FROM `gca_raw.quarantine`');
    expect(q).toEqual(makeQuarantine());
  });

  it('dedups on entry_key against stored rows and within a batch, counting duplicates', async () => {
    const a = makeMetadataEvent({ type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' });
    const b = makeMetadataEvent({ type: 'code_acceptance', id: 'a', at: '2025-10-08T10:00:01Z' });
    const first = await temp.warehouse.insertRaw(batchOf({ metadata_events: [a, a, b] }));
    expect(first).toEqual({ inserted: 2, duplicates: 1, rejected: [] });
    const again = await temp.warehouse.insertRaw(
      batchOf({ metadata_events: [b, a], quarantine: [makeQuarantine(), makeQuarantine()] }),
    );
    expect(again).toEqual({ inserted: 1, duplicates: 3, rejected: [] });
    const [count] = await temp.warehouse.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`',
    );
    expect(count?.n).toBe(2);
  });

  it('finds stored duplicates whatever the time range of the batch', async () => {
    const early = makeMetadataEvent({ type: 'code_exposure', id: 'a', at: '2025-10-01T10:00:00Z' });
    const late = makeMetadataEvent({ type: 'code_exposure', id: 'b', at: '2025-10-20T10:00:00Z' });
    const mid = makeMetadataEvent({ type: 'code_exposure', id: 'c', at: '2025-10-10T10:00:00Z' });
    await temp.warehouse.insertRaw(batchOf({ metadata_events: [early] }));
    await temp.warehouse.insertRaw(batchOf({ metadata_events: [late] }));
    expect(await temp.warehouse.insertRaw(batchOf({ metadata_events: [mid, early] }))).toEqual({
      inserted: 1,
      duplicates: 1,
      rejected: [],
    });
    expect(await temp.warehouse.insertRaw(batchOf({ metadata_events: [late, mid] }))).toEqual({
      inserted: 0,
      duplicates: 2,
      rejected: [],
    });
  });

  it('gives queries and statements their configured threads back after an insert', async () => {
    const threads = async () =>
      Number(
        (await temp.warehouse.query<{ t: number }>("SELECT current_setting('threads') AS t"))[0]?.t,
      );
    // Not 1, whatever the machine, so a setting left at the bulk insert's 1 thread shows.
    await temp.warehouse.execute('SET threads = 3');
    const ev = makeMetadataEvent({ type: 'code_exposure', id: 'th', at: '2025-10-08T10:00:00Z' });
    await temp.warehouse.insertRaw(batchOf({ metadata_events: [ev] }));
    expect(await threads()).toBe(3);
    await temp.warehouse.insertRaw(batchOf({ metadata_events: [ev] }));
    await temp.warehouse.execute(
      "CREATE OR REPLACE TEMP TABLE th AS SELECT current_setting('threads') AS t",
    );
    const [row] = await temp.warehouse.query<{ t: number }>('SELECT t FROM th');
    expect(Number(row?.t)).toBe(3);
  });

  it('serializes overlapping calls on one connection', async () => {
    const a = makeMetadataEvent({ type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' });
    const b = makeMetadataEvent({ type: 'code_exposure', id: 'b', at: '2025-10-08T10:00:00Z' });
    const results = await Promise.all([
      temp.warehouse.insertRaw(batchOf({ metadata_events: [a] })),
      temp.warehouse.insertRaw(batchOf({ metadata_events: [a, b] })),
      temp.warehouse.query<{ n: number }>('SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`'),
      temp.warehouse.insertRaw(batchOf({ metadata_events: [b] })),
    ]);
    expect(results).toEqual([
      { inserted: 1, duplicates: 0, rejected: [] },
      { inserted: 1, duplicates: 1, rejected: [] },
      [{ n: 2 }],
      { inserted: 0, duplicates: 1, rejected: [] },
    ]);
  });

  it('runs BigQuery-dialect queries with named parameters of every kind', async () => {
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z', lines: null },
        { type: 'code_acceptance', id: 'a', at: '2025-10-09T10:00:00Z', lines: 4 },
        { type: 'chat_exposure', id: 'b', at: '2025-10-10T10:00:00Z' },
      ]),
    );
    const rows = await temp.warehouse.query<{ id: string; day: string; n: number }>(
      `SELECT original_request_id AS id, DATE(event_timestamp) AS day, COUNT(*) AS n
       FROM \`gca_raw.metadata_events\`
       WHERE event_timestamp >= @since AND event_type IN UNNEST(@types)
         AND DATE(event_timestamp) <= @until AND IFNULL(lines_count, 0) < @max
       GROUP BY 1, 2 ORDER BY 2`,
      {
        since: { type: 'TIMESTAMP', value: '2025-10-08T10:00:00.000000Z' },
        types: ['code_exposure', 'code_acceptance'],
        until: { type: 'DATE', value: '2025-10-09' },
        max: 10,
        unused: 'ignored',
      },
    );
    expect(rows).toEqual([
      { id: 'a', day: '2025-10-08', n: 1 },
      { id: 'a', day: '2025-10-09', n: 1 },
    ]);
    const [safe] = await temp.warehouse.query(
      'SELECT SAFE_DIVIDE(1, 0) AS z, SAFE_DIVIDE(3, 4) AS q',
    );
    expect(safe).toEqual({ z: null, q: 0.75 });
  });

  it('execute returns affected rows', async () => {
    await temp.warehouse.insertRaw(
      eventsBatch([
        { type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' },
        { type: 'code_exposure', id: 'b', at: '2025-10-08T11:00:00Z' },
      ]),
    );
    const n = await temp.warehouse.execute(
      'DELETE FROM `gca_raw.metadata_events` WHERE original_request_id = @id',
      { id: 'a' },
    );
    expect(n).toBe(1);
  });

  it('close releases the file so another open succeeds, and data persists', async () => {
    await temp.warehouse.insertRaw(
      eventsBatch([{ type: 'code_exposure', at: '2025-10-08T10:00:00Z' }]),
    );
    await temp.warehouse.close();
    expect(existsSync(temp.path)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const w = await openDuckDbWarehouse(temp.path);
      const [row] = await w.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`',
      );
      expect(row?.n).toBe(1);
      await w.close();
    }
  });

  it('rejects rows DuckDB refuses, writing the others of the batch', async () => {
    const good = makeMetadataEvent({ type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' });
    const badJson = {
      ...makeMetadataEvent({ type: 'code_exposure', id: 'b', at: '2025-10-08T10:00:00Z' }),
      payload: '{not json',
    };
    const badTime = {
      ...makeMetadataEvent({ type: 'code_exposure', id: 'c', at: '2025-10-08T10:00:00Z' }),
      event_timestamp: 'yesterday',
    };
    const result = await temp.warehouse.insertRaw(
      batchOf({ metadata_events: [good, badJson, badTime, good], quarantine: [makeQuarantine()] }),
    );
    expect(result.inserted).toBe(2);
    expect(result.duplicates).toBe(1);
    expect(result.rejected.map((r) => [r.table, r.key])).toEqual([
      ['metadata_events', badJson.entry_key],
      ['metadata_events', badTime.entry_key],
    ]);
    expect(result.rejected[0]?.detail).toMatch(/JSON/i);
    const rows = await temp.warehouse.query<{ id: string }>(
      'SELECT original_request_id AS id FROM `gca_raw.metadata_events`',
    );
    expect(rows).toEqual([{ id: 'a' }]);
  });

  it('inserts a large batch in bulk (throughput logged, not asserted)', async () => {
    const n = 50_000;
    const rows = Array.from({ length: n }, (_, i) =>
      makeMetadataEvent({
        type: i % 2 ? 'code_acceptance' : 'code_exposure',
        id: `s${i >> 1}`,
        at: `2025-10-0${1 + (i % 9)}T10:00:00.${String(i).padStart(6, '0')}Z`,
        lines: i % 7,
      }),
    );
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const r1 = await temp.warehouse.insertRaw(batchOf({ metadata_events: rows }));
    const cpu = process.cpuUsage(cpu0);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    const r2 = await temp.warehouse.insertRaw(batchOf({ metadata_events: rows.slice(0, 1000) }));
    expect(r1).toEqual({ inserted: n, duplicates: 0, rejected: [] });
    expect(r2).toEqual({ inserted: 0, duplicates: 1000, rejected: [] });
    process.stdout.write(
      `duckdb insertRaw: ${n} metadata rows in ${secs.toFixed(3)} s = ${Math.round(n / secs)} rows/s ` +
        `(${Math.round(n / cpuSecs)} rows per CPU-second)\n`,
    );
  });
});

/** `n` distinct metadata events (`prefix` keeps sets apart), a few per second of one day. */
function manyEvents(n: number, prefix: string): MetadataEventRow[] {
  return Array.from({ length: n }, (_, i) =>
    makeMetadataEvent({
      type: i % 2 ? 'code_acceptance' : 'code_exposure',
      id: `${prefix}${i >> 1}`,
      at: `2025-10-08T${String(10 + (i % 10)).padStart(2, '0')}:00:00.${String(i).padStart(6, '0')}Z`,
    }),
  );
}

function walBytes(path: string): number {
  return existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0;
}

async function countEvents(w: Warehouse): Promise<number> {
  const [row] = await w.query<{ n: number }>('SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`');
  return row?.n ?? -1;
}

describe('DuckDB warehouse adapter, bulk loading (bulkCommitRows)', () => {
  const temp = useClosedTempWarehouse();

  it('reports what one transaction per call reports, and keeps every row after close', async () => {
    const rows = manyEvents(3_000, 'a');
    const batches = [rows.slice(0, 1_000), [...rows.slice(500, 2_000), rows[0]!], rows];
    const perCall = await openDuckDbWarehouse(`${temp.path}.per-call`);
    const bulk = await openDuckDbWarehouse(temp.path, { bulkCommitRows: 1_200 });
    try {
      await perCall.ensureSchema();
      for (const b of batches) {
        const expected = await perCall.insertRaw(batchOf({ metadata_events: b }));
        expect(await bulk.insertRaw(batchOf({ metadata_events: b }))).toEqual(expected);
      }
    } finally {
      await perCall.close();
      await bulk.close();
    }
    const reopened = await openDuckDbWarehouse(temp.path);
    try {
      expect(await countEvents(reopened)).toBe(3_000);
    } finally {
      await reopened.close();
    }
  });

  it('commits the open transaction before a query, so queries see every row written', async () => {
    const w = await openDuckDbWarehouse(temp.path, { bulkCommitRows: 1_000_000 });
    try {
      await w.insertRaw(batchOf({ metadata_events: manyEvents(10, 'a') }));
      expect(await countEvents(w)).toBe(10);
      const again = await w.insertRaw(batchOf({ metadata_events: manyEvents(20, 'a') }));
      expect(again).toEqual({ inserted: 10, duplicates: 10, rejected: [] });
      expect(await w.execute('DELETE FROM `gca_raw.metadata_events` WHERE TRUE')).toBe(20);
    } finally {
      await w.close();
    }
  });

  it('rejects a refused row without losing the batches before it in the transaction', async () => {
    const w = await openDuckDbWarehouse(temp.path, { bulkCommitRows: 1_000_000 });
    try {
      const first = await w.insertRaw(batchOf({ metadata_events: manyEvents(100, 'a') }));
      const second = await w.insertRaw(
        batchOf({ metadata_events: manyEvents(150, 'a'), quarantine: [makeQuarantine()] }),
      );
      expect([first, second]).toEqual([
        { inserted: 100, duplicates: 0, rejected: [] },
        { inserted: 51, duplicates: 100, rejected: [] },
      ]);
      const bad = { ...manyEvents(1, 'bad')[0]!, payload: '{not json' };
      const third = await w.insertRaw(batchOf({ metadata_events: [...manyEvents(160, 'a'), bad] }));
      expect(third.inserted).toBe(10);
      expect(third.duplicates).toBe(150);
      expect(third.rejected.map((r) => r.key)).toEqual([bad.entry_key]);
      // The batches before the refused one were rolled back with it, then written again.
      expect(await countEvents(w)).toBe(160);
      const fourth = await w.insertRaw(batchOf({ metadata_events: manyEvents(170, 'a') }));
      expect(fourth).toEqual({ inserted: 10, duplicates: 160, rejected: [] });
    } finally {
      await w.close();
    }
    const reopened = await openDuckDbWarehouse(temp.path);
    try {
      expect(await countEvents(reopened)).toBe(170);
      const [q] = await reopened.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM `gca_raw.quarantine`',
      );
      expect(q?.n).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('writes row groups to the file instead of the WAL once a transaction fills them', async () => {
    // The reason bulk loading is faster: DuckDB writes a full row group straight to the
    // database file, compressed, where one transaction per call logs every row in the WAL.
    const rows = manyEvents(3 * ROW_GROUP_SIZE, 'a');
    const batches = Array.from({ length: 12 }, (_, i) => rows.slice(i * 4_096, (i + 1) * 4_096));
    const walAfter = async (path: string, opts: { bulkCommitRows?: number }): Promise<number> => {
      const w = await openDuckDbWarehouse(path, opts);
      try {
        await w.ensureSchema();
        for (const b of batches) await w.insertRaw(batchOf({ metadata_events: b }));
        expect(await countEvents(w)).toBe(rows.length); // also commits the bulk transaction
        return walBytes(path);
      } finally {
        await w.close();
      }
    };
    const perCall = await walAfter(`${temp.path}.per-call`, {});
    const bulk = await walAfter(temp.path, { bulkCommitRows: rows.length });
    expect(perCall).toBeGreaterThan(10_000_000);
    expect(bulk).toBeLessThan(perCall / 10);
  });

  it('refuses a bulkCommitRows or bulkCommitChars that is not a positive integer', async () => {
    await expect(openDuckDbWarehouse(temp.path, { bulkCommitRows: 0 })).rejects.toThrow(
      /bulkCommitRows/,
    );
    await expect(openDuckDbWarehouse(temp.path, { bulkCommitChars: 1.5 })).rejects.toThrow(
      /bulkCommitChars/,
    );
  });
});

describe('DuckDB warehouse adapter, memory (withMemoryLimit, bulkCommitChars)', () => {
  const temp = useClosedTempWarehouse();

  const memoryLimit = async (w: Warehouse): Promise<string | undefined> => {
    const [row] = await w.query<{ m: string }>("SELECT current_setting('memory_limit') AS m");
    return row?.m;
  };
  /** DuckDB's text of a limit ('91.5 MiB', '18.8 GiB') in MiB. */
  const mib = (text: string | undefined): number => {
    const m = /^([\d.]+) (MiB|GiB)$/.exec(text ?? '');
    if (!m) throw new Error(`not a memory limit: ${text}`);
    return Number(m[1]) * (m[2] === 'GiB' ? 1024 : 1);
  };

  it('runs a function under a memory limit, and restores the limit before after it', async () => {
    const w = await openDuckDbWarehouse(temp.path);
    try {
      const before = mib(await memoryLimit(w));
      // DuckDB reports the limit in MiB: 96 MB = 91.5 MiB.
      expect(await w.withMemoryLimit('96MB', () => memoryLimit(w))).toBe('91.5 MiB');
      // Restored from its text, which DuckDB rounds to 0.1 GiB.
      expect(Math.abs(mib(await memoryLimit(w)) - before)).toBeLessThan(before / 100);
      await expect(
        w.withMemoryLimit('96MB', () => Promise.reject(new Error('not about memory'))),
      ).rejects.toThrow('not about memory');
      expect(Math.abs(mib(await memoryLimit(w)) - before)).toBeLessThan(before / 100);
    } finally {
      await w.close();
    }
  });

  it('runs a statement that runs out of memory again, under the limit before', async () => {
    const w = await openDuckDbWarehouse(temp.path);
    try {
      const before = mib(await memoryLimit(w));
      const seen = await w.withMemoryLimit('4MB', async () => {
        const under = await memoryLimit(w);
        // 20 MB of distinct strings cannot fit in 4 MB: DuckDB cannot even spill with so little.
        const [row] = await w.query<{ n: number }>(
          "SELECT COUNT(DISTINCT s) AS n FROM (SELECT repeat('x', 200) || i::VARCHAR AS s FROM range(100000) t(i))",
        );
        return { under, n: row?.n, after: mib(await memoryLimit(w)) };
      });
      expect(seen.under).toBe('3.8 MiB');
      expect(seen.n).toBe(100_000);
      // The rest of the function runs under the limit before.
      expect(Math.abs(seen.after - before)).toBeLessThan(before / 100);
    } finally {
      await w.close();
    }
  });

  it('checkpoints rows of long content under the default limit before applying its own', async () => {
    // Without that checkpoint, the first commit under the limit checkpoints these rows, and
    // DuckDB fails it ("failed to pin block"): 1,200 rows of 128 KB of content are 150 MB.
    const text = 'x'.repeat(128 * 1024);
    const rows = manyEvents(1_200, 'big').map((r) => ({
      ...r,
      payload: JSON.stringify({ content: `${r.entry_key}${text}` }),
    }));
    const w = await openDuckDbWarehouse(temp.path, { bulkCommitRows: 1_000_000 });
    try {
      await w.ensureSchema();
      for (let i = 0; i < rows.length; i += 20) {
        await w.insertRaw(batchOf({ metadata_events: rows.slice(i, i + 20) }));
      }
      // Commits the rows (150 MB of WAL, under the 256 MB threshold: no checkpoint yet), then
      // makes the next commit checkpoint them.
      await w.execute("SET checkpoint_threshold = '16MB'");
      const copied = await w.withMemoryLimit('96MB', async () => {
        const limit = await memoryLimit(w);
        await w.execute(
          'CREATE TABLE gca_analytics.copied AS SELECT entry_key, event_type FROM `gca_raw.metadata_events`',
        );
        const [row] = await w.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM gca_analytics.copied',
        );
        return { limit, n: row?.n };
      });
      expect(copied).toEqual({ limit: '91.5 MiB', n: 1_200 });
    } finally {
      await w.close();
    }
  });

  it('commits a bulk transaction once its staged rows hold bulkCommitChars characters', async () => {
    // Observed through the WAL, as in the bulkCommitRows tests: a commit per call logs every
    // row, where one transaction over full row groups writes them straight to the file.
    const rows = manyEvents(2 * ROW_GROUP_SIZE, 'a');
    const batches = Array.from({ length: 8 }, (_, i) => rows.slice(i * 4_096, (i + 1) * 4_096));
    const walAfter = async (path: string, bulkCommitChars?: number): Promise<number> => {
      const w = await openDuckDbWarehouse(path, {
        bulkCommitRows: rows.length,
        ...(bulkCommitChars !== undefined ? { bulkCommitChars } : {}),
      });
      try {
        await w.ensureSchema();
        for (const b of batches) await w.insertRaw(batchOf({ metadata_events: b }));
        expect(await countEvents(w)).toBe(rows.length);
        return walBytes(path);
      } finally {
        await w.close();
      }
    };
    const byRows = await walAfter(`${temp.path}.rows`);
    // Two and a half batches of staged JSON: a commit every third batch (12,288 rows, less than
    // a row group, so logged in the WAL), which only adding up the batches' characters reaches.
    const byChars = await walAfter(temp.path, Math.round(2.5 * JSON.stringify(batches[0]).length));
    expect(byChars).toBeGreaterThan(5_000_000);
    expect(byRows).toBeLessThan(byChars / 10);
  });
});
