/**
 * Staging for the DuckDB adapter's bulk insert: a batch's rows as one JSON array text per raw
 * table, with the INSERT ... SELECT that reads it through DuckDB's (native) JSON reader. Pure,
 * with no native module (the adapter, shared/warehouse/duckdb.ts, writes the files and runs the
 * SQL).
 */
import { quoteIdent, renderDuckDbType } from '../tables/render';
import { RAW_TABLES, type ColumnDef, type RawTableName, type TableDef } from '../tables/registry';
import { isoToMicros, microsToIso } from '../normalize/time';
import type { RawBatch } from './port';

// ---------------------------------------------------------------------------------------------
// Bulk insert: the batch is written as one JSON array file and read by DuckDB's (native) JSON
// reader inside one deduplicating INSERT ... SELECT. Measured ~3x faster than the Appender,
// whose per-cell native calls dominate, and still faster than the Appender fed whole DataChunks
// (@duckdb/node-api 1.5.5: one native call per string cell; on 50k entries it took more JS time
// than serializing and writing the JSON); row-by-row INSERT would be ~100x slower still. One
// JSON.stringify of the array, rather than one per row joined into NDJSON, took ~30% less JS
// time (no per-line strings, no copy by the join; 50k entries, alternating).

/** read_json column type of a column: its DuckDB type, JSON and TIMESTAMP as text (cast later). */
function readType(c: ColumnDef): string {
  let base: string;
  if (c.type === 'RECORD') {
    base = `STRUCT(${(c.fields ?? []).map((f) => `${quoteIdent(f.name)} ${readType(f)}`).join(', ')})`;
  } else if (c.type === 'JSON' || c.type === 'TIMESTAMP' || c.type === 'DATE') {
    base = 'VARCHAR';
  } else {
    base = renderDuckDbType({ ...c, mode: 'NULLABLE' });
  }
  return c.mode === 'REPEATED' ? `${base}[]` : base;
}

function selectExpr(c: ColumnDef): string {
  const col = `s.${quoteIdent(c.name)}`;
  // REPEATED is never null in BigQuery; nested JSON text is cast to JSON by the insert.
  if (c.mode === 'REPEATED') return `CAST(COALESCE(${col}, []) AS ${renderDuckDbType(c)})`;
  switch (c.type) {
    case 'TIMESTAMP':
      return `CAST(${col} AS TIMESTAMPTZ)`;
    case 'DATE':
      return `CAST(${col} AS DATE)`;
    case 'JSON':
      return `CAST(${col} AS JSON)`;
    default:
      return col;
  }
}

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export interface StagePlan {
  /** The dedup key column. */
  key: string;
  /**
   * A TIMESTAMP column the key determines (entry_key hashes the entry's timestamp), so stored
   * duplicates of a batch lie within the batch's range of it: the anti-join reads only those
   * row groups (zone maps), not the whole table, when input arrives roughly in time order.
   */
  pruneBy: string | null;
  /** The INSERT for a staged file; `$$FILE$$` is the file literal, `$$PRUNE$$` a predicate. */
  insertSql: string;
}

function planStage(name: RawTableName): StagePlan {
  const table: TableDef = RAW_TABLES[name];
  const k = quoteIdent(table.key[0] ?? 'entry_key');
  const columns = table.columns
    .map((c) => `${sqlString(c.name)}: ${sqlString(readType(c))}`)
    .join(', ');
  const colList = table.columns.map((c) => quoteIdent(c.name)).join(', ');
  const exprs = table.columns.map(selectExpr).join(', ');
  const target = `${table.dataset}.${table.name}`;
  // The file holds no key twice (dedup within the batch is done in JS, first row wins);
  // the anti-join drops keys already stored.
  const insertSql =
    `INSERT INTO ${target} (${colList}) ` +
    `SELECT ${exprs} FROM read_json($$FILE$$, format = 'array', ` +
    `columns = {${columns}}) s ` +
    `WHERE s.${k} NOT IN (SELECT t.${k} FROM ${target} t WHERE $$PRUNE$$)`;
  const key = table.key[0] ?? 'entry_key';
  const pruneBy =
    key === 'entry_key' && table.columns.some((c) => c.name === 'event_timestamp')
      ? 'event_timestamp'
      : null;
  return { key, pruneBy, insertSql };
}

export const STAGE_PLANS: Record<RawTableName, StagePlan> = {
  requests: planStage('requests'),
  responses: planStage('responses'),
  metadata_events: planStage('metadata_events'),
  quarantine: planStage('quarantine'),
};

/** The registry's TIMESTAMP text (UTC, exactly 6 fractional digits): it sorts as text. */
const CANONICAL_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** `t.col BETWEEN min AND max` over the batch's values, or TRUE when one cannot be read. */
function prunePredicate(rows: readonly object[], column: string | null): string {
  if (!column || rows.length === 0) return 'TRUE';
  // Fast path (every row from normalization): compare the text, parse only the two ends.
  let minText: string | null = null;
  let maxText: string | null = null;
  for (const row of rows) {
    const v = (row as Record<string, unknown>)[column];
    if (typeof v !== 'string' || !CANONICAL_TIMESTAMP.test(v)) {
      minText = maxText = null;
      break;
    }
    if (minText === null || v < minText) minText = v;
    if (maxText === null || v > maxText) maxText = v;
  }
  if (minText !== null && maxText !== null) {
    try {
      const lit = (iso: string): string => `TIMESTAMPTZ '${microsToIso(isoToMicros(iso))}'`;
      return `t.${quoteIdent(column)} BETWEEN ${lit(minText)} AND ${lit(maxText)}`;
    } catch {
      // An impossible date in canonical form (e.g. month 13): take the general path.
    }
  }
  let min: bigint | null = null;
  let max: bigint | null = null;
  for (const row of rows) {
    const v = (row as Record<string, unknown>)[column];
    if (typeof v !== 'string') return 'TRUE';
    let micros: bigint;
    try {
      micros = isoToMicros(v);
    } catch {
      // The insert itself will reject the row; just do not prune on a value we cannot read.
      return 'TRUE';
    }
    if (min === null || micros < min) min = micros;
    if (max === null || micros > max) max = micros;
  }
  if (min === null || max === null) return 'TRUE';
  const lit = (m: bigint): string => `TIMESTAMPTZ '${microsToIso(m)}'`;
  return `t.${quoteIdent(column)} BETWEEN ${lit(min)} AND ${lit(max)}`;
}

/**
 * The rows with one row per distinct key (the first row of a key wins): `rows` itself when no
 * key repeats, the usual case (the pipeline dedups a batch before it is written).
 */
function distinctByKey(rows: readonly object[], key: string): readonly object[] {
  const seen = new Set<unknown>();
  let out: object[] | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Record<string, unknown>;
    const k = row[key];
    if (!seen.has(k)) {
      seen.add(k);
      out?.push(row);
    } else {
      out ??= rows.slice(0, i);
    }
  }
  return out ?? rows;
}

/** One raw table of a batch, staged: its rows as a JSON array and what its INSERT needs. */
export interface StagedTable {
  table: RawTableName;
  /** The rows written, one per distinct key (the first row of a key wins). */
  distinct: readonly object[];
  /** `distinct` as one JSON array. */
  json: string;
  /** Rows of the batch for this table, repeats of a key included. */
  rows: number;
  /** The pruning predicate for the INSERT's anti-join (see StagePlan.pruneBy). */
  prune: string;
}

/** Stages each non-empty table of a batch. */
export function stageBatch(batch: RawBatch): StagedTable[] {
  const staged: StagedTable[] = [];
  for (const table of Object.keys(STAGE_PLANS) as RawTableName[]) {
    const rows: readonly object[] = batch[table] ?? [];
    if (rows.length === 0) continue;
    const plan = STAGE_PLANS[table];
    const distinct = distinctByKey(rows, plan.key);
    staged.push({
      table,
      distinct,
      json: JSON.stringify(distinct),
      rows: rows.length,
      prune: prunePredicate(rows, plan.pruneBy),
    });
  }
  return staged;
}
