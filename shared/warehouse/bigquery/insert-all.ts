/**
 * insertAll: registry rows encoded as BigQuery takes them (deterministic insertIds, canonical
 * TIMESTAMPs), requests planned within BigQuery's per-request limits, and the handling of a
 * partial failure (rows rejected or re-sent).
 */
import { classifyRowErrors } from '../../errors';
import { tryMicrosIso } from '../../normalize/time';
import type { ColumnDef, RawTableName, TableDef } from '../../tables/registry';
import type { RejectedRow } from '../port';
import { BigQueryInsertError, errorItems, wrap, type BigQueryErrorItem } from './errors';

/** Recommended maximum rows per insertAll request (BigQuery's own guidance). */
export const DEFAULT_MAX_ROWS_PER_REQUEST = 500;
/** insertAll's HTTP request limit is 10 MB; 8 MiB of rows leaves room for the envelope. */
export const DEFAULT_MAX_BYTES_PER_REQUEST = 8 * 1024 * 1024;

/** insertAll's options: raw rows, invalid rows skipped, re-sends decided by the adapter. */
export const INSERT_OPTIONS = {
  raw: true,
  // Valid rows of a request are written even when another row is invalid; without it BigQuery
  // refuses the whole request and marks the good rows `stopped`.
  skipInvalidRows: true,
  ignoreUnknownValues: false,
  // The client would re-send failed rows, `invalid` ones included, 3 times; the adapter decides.
  partialRetries: 0,
} as const;

/** One row as insertAll takes it with `raw: true`. */
export interface InsertAllRow {
  insertId: string;
  json: Record<string, unknown>;
}

function encodeValue(column: ColumnDef, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (column.mode === 'REPEATED' && Array.isArray(value)) {
    return value.map((v: unknown) => encodeScalar(column, v));
  }
  return encodeScalar(column, value);
}

function encodeScalar(column: ColumnDef, value: unknown): unknown {
  if (column.type === 'TIMESTAMP' && (typeof value === 'string' || value instanceof Date)) {
    // insertAll parses the string as sent: canonical `...T..:..:..ffffffZ` keeps microseconds
    // exactly (a float of epoch seconds would not). Unparseable text goes as is, BigQuery
    // rejects that row as `invalid` and it is quarantined.
    return tryMicrosIso(value) ?? (value instanceof Date ? value.toISOString() : value);
  }
  if (column.type === 'RECORD' && column.fields && typeof value === 'object' && value !== null) {
    return encodeRecord(column.fields, value as Record<string, unknown>);
  }
  return value;
}

function encodeRecord(
  columns: readonly ColumnDef[],
  row: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  // Unknown properties pass through untouched: BigQuery rejects the row rather than the adapter
  // dropping data silently.
  const out: Record<string, unknown> = { ...row };
  for (const column of columns) {
    if (column.name in out) out[column.name] = encodeValue(column, out[column.name]);
  }
  return out;
}

/**
 * The insertAll row for a registry row: `insertId` is the row's key (entry_key, quarantine_id)
 * so BigQuery's best-effort dedup catches redeliveries; TIMESTAMPs are canonical microsecond ISO.
 */
export function toInsertAllRow(table: TableDef, row: object): InsertAllRow {
  const record = row as Readonly<Record<string, unknown>>;
  const keyColumn = table.key[0];
  const key = keyColumn === undefined ? undefined : record[keyColumn];
  if (typeof key !== 'string' || key === '') {
    throw new Error(`row of ${table.dataset}.${table.name} has no ${keyColumn ?? 'key'}`);
  }
  return { insertId: key, json: encodeRecord(table.columns, record) };
}

/** Bytes a row adds to the insertAll request body (its JSON plus a separator). */
function rowBytes(row: InsertAllRow): number {
  return Buffer.byteLength(JSON.stringify(row), 'utf8') + 1;
}

/**
 * Splits rows into requests of at most `maxRows` rows and `maxBytes` bytes, in order. A single
 * row above `maxBytes` cannot be sent at all and is returned in `oversized`.
 */
export function planInsertBatches(
  rows: readonly InsertAllRow[],
  maxRows: number,
  maxBytes: number,
): { batches: InsertAllRow[][]; oversized: { row: InsertAllRow; bytes: number }[] } {
  const batches: InsertAllRow[][] = [];
  const oversized: { row: InsertAllRow; bytes: number }[] = [];
  let current: InsertAllRow[] = [];
  let currentBytes = 0;
  for (const row of rows) {
    const bytes = rowBytes(row);
    if (bytes > maxBytes) {
      oversized.push({ row, bytes });
      continue;
    }
    if (current.length >= maxRows || currentBytes + bytes > maxBytes) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(row);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}

/** A PartialFailureError of @google-cloud/common: `errors[]` of `{ row, errors[] }`. */
interface PartialFailure {
  row: InsertAllRow;
  errors: BigQueryErrorItem[];
}

function partialFailures(err: unknown): PartialFailure[] | null {
  if (typeof err !== 'object' || err === null) return null;
  const { name, errors } = err as { name?: unknown; errors?: unknown };
  if (name !== 'PartialFailureError' || !Array.isArray(errors)) return null;
  const out: PartialFailure[] = [];
  for (const e of errors as unknown[]) {
    if (typeof e !== 'object' || e === null) return null;
    const { row, errors: rowErrors } = e as { row?: unknown; errors?: unknown };
    if (typeof row !== 'object' || row === null) return null;
    const insertId = (row as { insertId?: unknown }).insertId;
    if (typeof insertId !== 'string') return null;
    out.push({ row: row as InsertAllRow, errors: errorItems(rowErrors) });
  }
  return out;
}

function describeRowErrors(errors: BigQueryErrorItem[]): string {
  const text = errors.map((e) => `${e.reason ?? 'unknown'}: ${e.message ?? ''}`.trim()).join('; ');
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

/** One insertAll request of the adapter, with what its partial-failure handling needs. */
export interface InsertRequest {
  /** The raw table, as rejected rows name it. */
  table: RawTableName;
  /** `dataset.table` as BigQuery names it, for messages. */
  qualified: string;
  /** Sends rows with INSERT_OPTIONS (the adapter adds its call deadline). */
  send(rows: InsertAllRow[]): Promise<unknown>;
  /** Re-sends of rows that failed for a retryable reason. */
  maxRowRetries: number;
  sleep(ms: number): Promise<void>;
}

/**
 * Sends one insertAll request, then handles a partial failure: a row BigQuery calls `invalid`
 * (per shared/errors.ts, the row's own fault) is returned as rejected (the pipeline quarantines
 * it); a row that failed for another reason (`stopped`, `backendError`, `timeout`, ...) is sent
 * again up to `maxRowRetries` times (250 ms x attempt apart), then BigQueryInsertError is thrown
 * (transient). Any other error is wrapped in BigQueryRequestError.
 */
export async function sendInsertRequest(
  request: InsertRequest,
  rows: InsertAllRow[],
): Promise<{ inserted: number; rejected: RejectedRow[] }> {
  const rejected: RejectedRow[] = [];
  let inserted = 0;
  let pending = rows;
  for (let attempt = 0; ; attempt++) {
    try {
      await request.send(pending);
      return { inserted: inserted + pending.length, rejected };
    } catch (err) {
      const failures = partialFailures(err);
      if (!failures) throw wrap(`insertAll into ${request.qualified}`, err);
      const failed = new Set(failures.map((f) => f.row.insertId));
      inserted += pending.filter((r) => !failed.has(r.insertId)).length;
      const retry: PartialFailure[] = [];
      for (const failure of failures) {
        // shared/errors.ts says which failures are the row's own fault.
        if (classifyRowErrors(failure.errors).errorClass === 'permanent') {
          rejected.push({
            table: request.table,
            key: failure.row.insertId,
            detail: describeRowErrors(failure.errors),
          });
        } else {
          retry.push(failure);
        }
      }
      if (retry.length === 0) return { inserted, rejected };
      if (attempt >= request.maxRowRetries) {
        throw new BigQueryInsertError(
          request.qualified,
          retry.map((f) => f.row.insertId),
          retry.flatMap((f) => f.errors),
          err,
        );
      }
      pending = retry.map((f) => f.row);
      await request.sleep(250 * (attempt + 1));
    }
  }
}
