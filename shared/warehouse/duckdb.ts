/**
 * The DuckDB warehouse adapter (local mode and tests): one file, schemas `gca_raw` and
 * `gca_analytics`, session time zone UTC. SQL arrives in BigQuery Standard SQL and is rendered by
 * shared/sql/render.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  LIST,
  TIMESTAMPTZ,
  VARCHAR,
  listValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { SerialQueue } from '../keyed-queue';
import { DUCKDB_COMPAT_MACROS, renderSql } from '../sql/render';
import { isoToMicros, microsToIso } from '../normalize/time';
import { sqlString, stageBatch, STAGE_PLANS, type StagedTable } from './duckdb-stage';
import { FORMER_VIEWS } from '../sql/views';
import { renderDuckDbDdl } from '../tables/render';
import type { RawTableName } from '../tables/registry';
import type { InsertResult, QueryParamType, QueryParams, RawBatch, Warehouse } from './port';
import { typedParam } from './query-params';

// ---------------------------------------------------------------------------------------------
// Values: registry conventions <-> DuckDB

function dateToDays(day: string): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`invalid date ${day}`);
  return Math.round(ms / 86_400_000);
}

/** A DuckDB result value -> the registry's JS conventions. */
function fromDuckDb(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) {
    return microsToIso(value.micros);
  }
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBListValue) return value.items.map(fromDuckDb);
  if (value instanceof DuckDBStructValue) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value.entries)) out[k] = fromDuckDb(v);
    return out;
  }
  return String(value);
}

const PARAM_TYPES: Record<QueryParamType, DuckDBType> = {
  STRING: VARCHAR,
  INT64: BIGINT,
  FLOAT64: DOUBLE,
  BOOL: BOOLEAN,
  TIMESTAMP: TIMESTAMPTZ,
  DATE: DATE,
};

function scalarParam(type: QueryParamType, v: string | number | boolean): DuckDBValue {
  switch (type) {
    case 'TIMESTAMP':
      return new DuckDBTimestampTZValue(isoToMicros(String(v)));
    case 'DATE':
      return new DuckDBDateValue(dateToDays(String(v)));
    case 'INT64':
      return BigInt(Math.trunc(Number(v)));
    case 'FLOAT64':
      return Number(v);
    case 'BOOL':
      return Boolean(v);
    case 'STRING':
      return String(v);
  }
}

function toDuckDbParams(
  params: QueryParams,
  used: Set<string>,
): { values: Record<string, DuckDBValue>; types: Record<string, DuckDBType> } {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [name, raw] of Object.entries(params)) {
    // Extra parameters are ignored, as BigQuery does, instead of failing the bind.
    if (!used.has(name)) continue;
    const { type, value } = typedParam(raw);
    if (Array.isArray(value)) {
      values[name] = listValue(value.map((v: string | number) => scalarParam(type, v)));
      types[name] = LIST(PARAM_TYPES[type]);
    } else {
      values[name] = value === null ? null : scalarParam(type, value);
      types[name] = PARAM_TYPES[type];
    }
  }
  return { values, types };
}

/**
 * DuckDB errors caused by a row's values (not by the database or the disk): such a row is
 * rejected, not retried. Anything else propagates for the caller's error classification.
 */
const ROW_DATA_ERRORS =
  /^(Conversion Error|Invalid Input Error|Constraint Error|Out of Range Error)/;

/** The message of an error; duck-typed, since the native module's errors may come from another realm. */
function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message);
  return String(err);
}

function isRowDataError(err: unknown): boolean {
  return ROW_DATA_ERRORS.test(errorMessage(err));
}

/** One table of a batch written to a JSON file, with the INSERT that reads it. */
interface StagedInsert {
  table: RawTableName;
  file: string;
  sql: string;
  /** Rows in the batch for this table (the file may hold fewer: repeats of a key are dropped). */
  rows: number;
  /** Characters of the file's JSON. */
  chars: number;
  /** Rows the INSERT stored, once it has run. */
  inserted: number;
}

function removeStaged(staged: readonly StagedInsert[]): void {
  for (const s of staged) rmSync(s.file, { force: true });
}

function resultOf(staged: readonly StagedInsert[]): InsertResult {
  const result: InsertResult = { inserted: 0, duplicates: 0, rejected: [] };
  for (const s of staged) {
    result.inserted += s.inserted;
    result.duplicates += s.rows - s.inserted;
  }
  return result;
}

const EMPTY_BATCH: RawBatch = { requests: [], responses: [], metadata_events: [], quarantine: [] };

/** The DuckDB warehouse: the port, on a local file (or in memory). */
export interface DuckDbWarehouse extends Warehouse {
  readonly engine: 'duckdb';
  /**
   * Runs `fn`, whose calls go to this warehouse, under DuckDB's memory limit `limit` (e.g.
   * '256MB'; DuckDB's default is 80% of RAM), so that its peak memory does not grow with the
   * warehouse: DuckDB evicts clean blocks (they are in the file) and spills what an operator
   * must hold to `temp_directory` (beside the file). For reads and writes of columns without
   * content (the recompute): under a limit, a vector of long prompts may not fit.
   *
   * Rows written before are checkpointed first, under the default limit: checkpointing a row
   * group needs its strings in memory, and under a limit lower than a row group of long prompts
   * DuckDB fails the commit ("failed to pin block"), or an autocheckpoint, which invalidates the
   * database until it is reopened. Should a query or statement of `fn` still run out of memory
   * (it had no effect then: it commits on its own), it is run again under the limit before,
   * which stays for the rest of `fn`: the limit costs time, not a failure. For functions that
   * query and execute, each statement on its own (the recompute): inserts, and statements
   * inside a transaction `fn` opens itself, get no second run. Not reentrant.
   */
  withMemoryLimit<T>(limit: string, fn: () => Promise<T>): Promise<T>;
}

/** DuckDB's errors for a statement that did not fit in its memory limit. */
const OUT_OF_MEMORY = /Out of Memory Error|failed to pin block|failed to allocate/i;

// ---------------------------------------------------------------------------------------------

function usedParams(sql: string): Set<string> {
  return new Set([...sql.matchAll(/\$(\w+)/g)].map((m) => m[1] ?? ''));
}

class DuckDbWarehouseImpl implements DuckDbWarehouse {
  readonly engine = 'duckdb' as const;
  private closed = false;
  /** Directory of the batch files, created on the first insert, removed on close. */
  private stageDir: string | undefined;
  private stageSeq = 0;
  /** The open transaction: its staged inserts, kept for a replay, and its rows. */
  private bulk: { staged: StagedInsert[]; rows: number; chars: number } | null = null;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly opts: DuckDbWarehouseOptions,
  ) {}

  /** The queue of operations: one connection runs one statement at a time. */
  private readonly queue = new SerialQueue();

  /**
   * Runs operations one after another, so callers may overlap calls (e.g. normalize the next
   * batch while this one is written) without interleaving two transactions on one connection.
   */
  private serialize<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.run(op);
  }

  ensureSchema(): Promise<void> {
    return this.serialize(async () => {
      await this.commitBulk();
      await this.ensureSchemaNow();
    });
  }

  insertRaw(batch: RawBatch): Promise<InsertResult> {
    return this.serialize(() => this.insertNow(stageBatch(batch)));
  }

  query<R extends object = Record<string, unknown>>(
    sql: string,
    params: QueryParams = {},
  ): Promise<R[]> {
    return this.serialize(async () => {
      await this.commitBulk();
      return this.queryNow<R>(sql, params);
    });
  }

  execute(sql: string, params: QueryParams = {}): Promise<number> {
    return this.serialize(async () => {
      await this.commitBulk();
      return this.executeNow(sql, params);
    });
  }

  close(): Promise<void> {
    return this.serialize(() => this.closeNow());
  }

  private defaultMemoryLimit: string | null = null;

  /** True while withMemoryLimit's function runs under its limit (defaultMemoryLimit is set). */
  private limited = false;

  /** Ends withMemoryLimit's limit: back to the limit before (see withMemoryLimit). */
  private async endLimit(): Promise<void> {
    this.limited = false;
    await this.conn.run(`SET memory_limit = ${sqlString(this.defaultMemoryLimit ?? '')}`);
  }

  async withMemoryLimit<T>(limit: string, fn: () => Promise<T>): Promise<T> {
    // The limit before the first call, set back afterwards: RESET memory_limit resets the
    // setting but, in DuckDB 1.5.5, leaves the buffer pool at the lower limit. Read once, as
    // DuckDB's text of it is rounded (18.8 GiB), so that calls do not round it down each time.
    // `limited` changes only inside queued operations, so every statement queued in between
    // sees the limit it runs under.
    await this.serialize(async () => {
      await this.commitBulk();
      await this.conn.run('CHECKPOINT');
      if (this.defaultMemoryLimit === null) {
        const reader = await this.conn.runAndReadAll("SELECT current_setting('memory_limit') AS m");
        const m = reader.getRowObjects()[0]?.m;
        if (typeof m !== 'string') return;
        this.defaultMemoryLimit = m;
      }
      try {
        await this.conn.run(`SET memory_limit = ${sqlString(limit)}`);
        this.limited = true;
      } catch (err) {
        // DuckDB could not come down to the limit at once: run without it.
        if (!OUT_OF_MEMORY.test(errorMessage(err))) throw err;
      }
    });
    let failed = false;
    try {
      return await fn();
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      await this.serialize(async () => {
        if (!this.limited) return;
        try {
          await this.endLimit();
        } catch (err) {
          // fn's own failure (a closed or invalidated database, say) is the one to report.
          if (!failed) throw err;
        }
      });
    }
  }

  /**
   * Runs a statement; one that runs out of memory under withMemoryLimit's limit, outside a
   * transaction (it had no effect then), is run again under the limit before, which stays for
   * the rest of withMemoryLimit's function.
   */
  private async underLimit<T>(statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (err) {
      if (!this.limited || this.bulk || !OUT_OF_MEMORY.test(errorMessage(err))) throw err;
      await this.endLimit();
      return await statement();
    }
  }

  private async ensureSchemaNow(): Promise<void> {
    // A warehouse made before interactions and daily_active_users became tables: drop the views
    // (the tables are filled by the next recompute, see shared/jobs/recompute.ts).
    const views = await this.conn.runAndReadAll(
      "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_type = 'VIEW'",
    );
    for (const { name } of views.getRowObjects() as { name: string }[]) {
      if (FORMER_VIEWS.includes(name)) await this.conn.run(`DROP VIEW ${name}`);
    }
    for (const ddl of renderDuckDbDdl()) await this.conn.run(ddl);
    for (const macro of DUCKDB_COMPAT_MACROS) await this.conn.run(macro);
  }

  /**
   * Bulk inserts run DuckDB on one thread; queries get the configured threads back. An ingest
   * normalizes the next batch in JS while DuckDB writes this one (shared/pipeline/ingest.ts):
   * on a 2-core machine a second DuckDB thread only competes with that JS thread. Measured on
   * 200k entries: ~12% less CPU per ingest and no slower a write (its work overlaps the JS).
   */
  private async useThreads(bulk: boolean): Promise<void> {
    if (bulk === this.bulkThreads) return;
    if (bulk) {
      const reader = await this.conn.runAndReadAll("SELECT current_setting('threads') AS t");
      this.defaultThreads = Number(reader.getRowObjects()[0]?.t ?? 0) || null;
      await this.conn.run('SET threads = 1');
    } else if (this.defaultThreads !== null) {
      await this.conn.run(`SET threads = ${this.defaultThreads}`);
    }
    this.bulkThreads = bulk;
  }

  private bulkThreads = false;
  private defaultThreads: number | null = null;

  private async insertNow(tables: readonly StagedTable[]): Promise<InsertResult> {
    await this.useThreads(true);
    try {
      return await this.insertInTransaction(tables, this.opts.bulkCommitRows ?? 1);
    } catch (err) {
      if (!isRowDataError(err)) throw err;
    }
    // A row DuckDB refuses (invalid JSON, missing REQUIRED value, bad timestamp) must not sink
    // the batch: find it row by row (rare, so slow is fine) and report it as rejected, as the
    // BigQuery adapter does with per-row insertAll errors (repeats of a key already dropped).
    const result: InsertResult = { inserted: 0, duplicates: 0, rejected: [] };
    for (const staged of tables) {
      // Repeats of a key were not staged: they are duplicates.
      result.duplicates += staged.rows - staged.distinct.length;
      for (const row of staged.distinct as readonly Record<string, unknown>[]) {
        try {
          const single = stageBatch({ ...EMPTY_BATCH, [staged.table]: [row] });
          const r = await this.insertInTransaction(single, 1);
          result.inserted += r.inserted;
          result.duplicates += r.duplicates;
        } catch (err) {
          if (!isRowDataError(err)) throw err;
          const key = row[STAGE_PLANS[staged.table].key];
          result.rejected.push({
            table: staged.table,
            key: typeof key === 'string' ? key : String(key),
            detail: errorMessage(err).split('\n')[0] ?? '',
          });
        }
      }
    }
    return result;
  }

  /**
   * Writes a batch inside the open transaction (beginning one if none is open), and commits
   * once the transaction holds `commitRows` rows; 1 gives a transaction per batch. If a statement
   * fails, DuckDB aborts the whole transaction: it is rolled back, the batches before this one
   * are written again from their staged files and committed (with the results already reported
   * for them), and the error propagates for this batch alone, so the caller sees exactly what it
   * would see with a transaction per batch.
   */
  private async insertInTransaction(
    tables: readonly StagedTable[],
    commitRows: number,
  ): Promise<InsertResult> {
    const staged = this.writeStaged(tables);
    if (staged.length === 0) return { inserted: 0, duplicates: 0, rejected: [] };
    if (!this.bulk) {
      await this.conn.run('BEGIN TRANSACTION');
      this.bulk = { staged: [], rows: 0, chars: 0 };
    }
    const open = this.bulk;
    try {
      for (const s of staged) await this.runStaged(s);
    } catch (err) {
      removeStaged(staged);
      this.bulk = null;
      await this.conn.run('ROLLBACK');
      try {
        await this.replay(open.staged);
      } finally {
        removeStaged(open.staged);
      }
      throw err;
    }
    open.staged.push(...staged);
    open.rows += staged.reduce((n, s) => n + s.rows, 0);
    open.chars += staged.reduce((n, s) => n + s.chars, 0);
    if (open.rows >= commitRows || open.chars >= (this.opts.bulkCommitChars ?? Infinity)) {
      await this.commitBulk();
    }
    return resultOf(staged);
  }

  /** Writes staged inserts again in one transaction; each must insert what it did before. */
  private async replay(staged: readonly StagedInsert[]): Promise<void> {
    if (staged.length === 0) return;
    await this.conn.run('BEGIN TRANSACTION');
    try {
      for (const s of staged) {
        const before = s.inserted;
        await this.runStaged(s);
        if (s.inserted !== before) {
          throw new Error(
            `rewriting a ${s.table} batch after a failed insert stored ${s.inserted} rows, not ${before}`,
          );
        }
      }
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK');
      throw err;
    }
  }

  /** Commits the open bulk transaction, if any, and removes its staged files. */
  private async commitBulk(): Promise<void> {
    const open = this.bulk;
    if (!open) return;
    this.bulk = null;
    try {
      await this.conn.run('COMMIT');
    } finally {
      removeStaged(open.staged);
    }
  }

  /** Writes each staged table to its own JSON file, with the INSERT that reads it. */
  private writeStaged(tables: readonly StagedTable[]): StagedInsert[] {
    if (tables.length === 0) return [];
    this.stageDir ??= mkdtempSync(join(tmpdir(), 'gca-duckdb-stage-'));
    const staged: StagedInsert[] = [];
    try {
      for (const t of tables) {
        const file = join(this.stageDir, `${this.stageSeq++}-${t.table}.json`);
        writeFileSync(file, t.json);
        const sql = STAGE_PLANS[t.table].insertSql
          .replace('$$FILE$$', sqlString(file))
          .replace('$$PRUNE$$', t.prune);
        staged.push({ table: t.table, file, sql, rows: t.rows, chars: t.json.length, inserted: 0 });
      }
    } catch (err) {
      removeStaged(staged);
      throw err;
    }
    return staged;
  }

  private async runStaged(s: StagedInsert): Promise<void> {
    s.inserted = (await this.conn.run(s.sql)).rowsChanged;
  }

  private async queryNow<R extends object>(sql: string, params: QueryParams): Promise<R[]> {
    await this.useThreads(false);
    const rendered = renderSql(sql, { engine: 'duckdb' });
    const { values, types } = toDuckDbParams(params, usedParams(rendered));
    const reader = await this.underLimit(() => this.conn.runAndReadAll(rendered, values, types));
    return reader.getRowObjects().map((row) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) out[k] = fromDuckDb(v);
      return out as R;
    });
  }

  private async executeNow(sql: string, params: QueryParams): Promise<number> {
    await this.useThreads(false);
    const rendered = renderSql(sql, { engine: 'duckdb' });
    const { values, types } = toDuckDbParams(params, usedParams(rendered));
    return (await this.underLimit(() => this.conn.run(rendered, values, types))).rowsChanged;
  }

  private async closeNow(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.commitBulk();
    } finally {
      if (this.stageDir) rmSync(this.stageDir, { recursive: true, force: true });
      this.conn.closeSync();
      // Closing the instance releases the file lock for the next opener.
      this.instance.closeSync();
    }
  }
}

/**
 * Rows per row group (DuckDB's default is 122,880). A transaction that appends at least a row
 * group's worth to a table writes it straight to the database file, compressed ("optimistic
 * writes"), instead of logging every row in the WAL and compressing it all again at the next
 * checkpoint; smaller groups let bulk transactions of a size that fits in memory qualify. 16k
 * rows is still large for zone maps and scans. Set when the file is attached (a property of
 * the row groups written from then on, so files written before read as ever).
 */
export const ROW_GROUP_SIZE = 16_384;

/** The catalog the warehouse file is attached as. */
const CATALOG = 'gca';

export interface DuckDbWarehouseOptions {
  /**
   * Bulk loading: keep one transaction open across insertRaw calls and commit it once it holds
   * this many rows (and before any other call, and on close), instead of one transaction per
   * call. Each table then gets row groups written directly (see ROW_GROUP_SIZE), which halves
   * DuckDB's work in a large ingest. Rows are durable at the commit, not when insertRaw
   * resolves: a crash loses the open transaction, which an idempotent re-run restores. The
   * staged files of the open transaction are kept (in the temp directory) until it commits.
   * Default: a transaction per call (the ingest function, which acknowledges after each write).
   */
  bulkCommitRows?: number;
  /**
   * With bulkCommitRows: commit also once the open transaction's staged JSON holds this many
   * characters, so large entries cannot make the open transaction hold gigabytes (100,000 rows
   * of 60 KB prompts are 6 GB; the transaction's rows are in memory until written).
   */
  bulkCommitChars?: number;
}

/**
 * Opens (creating if missing) a DuckDB warehouse file, or `:memory:`. Cheap: no DDL runs until
 * `ensureSchema`. One writer per file per process: close it to release the lock.
 */
export async function openDuckDbWarehouse(
  path: string,
  opts: DuckDbWarehouseOptions = {},
): Promise<DuckDbWarehouse> {
  for (const key of ['bulkCommitRows', 'bulkCommitChars'] as const) {
    const n = opts[key];
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) {
      throw new RangeError(`${key} must be a positive integer, not ${n}`);
    }
  }
  // An in-memory instance with the file attached: only ATTACH takes a row group size.
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    await conn.run(`ATTACH ${sqlString(path)} AS ${CATALOG} (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`);
    await conn.run(`USE ${CATALOG}`);
    // Where a file instance would spill: beside the file, not in the working directory.
    if (path !== ':memory:') await conn.run(`SET temp_directory = ${sqlString(`${path}.tmp`)}`);
    // UTC like BigQuery: DATE(timestamp) and timestamp text are UTC days and times.
    await conn.run("SET TimeZone = 'UTC'");
    // Checkpoint every 256 MB of WAL instead of 16 MB: each checkpoint recompresses the table's
    // last, partly filled row group, so bulk ingest in 10k-row batches spent ~20% of its CPU
    // doing that again and again. Memory stays bounded by the threshold, not the input size.
    await conn.run("SET checkpoint_threshold = '256MB'");
    return new DuckDbWarehouseImpl(instance, conn, opts);
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}
