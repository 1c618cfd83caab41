/**
 * The BigQuery warehouse adapter (cloud). Raw rows are streamed with `tabledata.insertAll`;
 * recompute and retention SQL run as parameterized query jobs (`jobs.insert`, then
 * `jobs.getQueryResults` until complete), rendered from the one BigQuery-dialect text by
 * shared/sql/render.ts.
 *
 * Retries and time limits, deliberately bounded so a transient failure reaches the function
 * (which fails the request so Pub/Sub redelivers) in a known time:
 * - whole requests (HTTP 408/429/5xx, rate-limit reasons, connection errors): the client retries
 *   `maxRetries` times (default 2) after at most `maxRetryDelayMs` (default 1 s) each; then the
 *   error is thrown, wrapped in BigQueryRequestError with its HTTP status, code and reasons.
 * - every client call also has a deadline, `callTimeoutMs` (default 47 s = 3 attempts x 15 s +
 *   2 x 1 s): the client's own per-request `timeout` is ignored by its HTTP layer (teeny-request
 *   passes it to node-fetch 3, which dropped the option: googleapis/google-cloud-node#7998), so
 *   a server that accepts the connection and never answers would hang the call forever. Past the
 *   deadline the call is abandoned and BigQueryRequestError with code `ETIMEDOUT` is thrown.
 * - rows of a partial failure: a row BigQuery calls `invalid` is returned as `rejected` (the
 *   pipeline quarantines it); a row that failed for another reason (`stopped`, `backendError`,
 *   `timeout`, ...) is sent again up to `maxRowRetries` times (default 2), then
 *   BigQueryInsertError is thrown (transient). The client's own partial retries are off.
 * - query jobs: each job has `jobTimeoutMs` on BigQuery's side, and the adapter stops polling at
 *   the same deadline (BigQueryQueryTimeoutError, after a best-effort cancel).
 * Which errors are transient is decided by shared/errors.ts; this module only keeps the facts.
 */
import { BigQuery, type Table } from '@google-cloud/bigquery';
import { z } from 'zod';
import { describeError } from '../errors';
import { renderSql } from '../sql/render';
import { VIEWS } from '../sql/views';
import { tryMicrosIso } from '../normalize/time';
import { renderBigQuerySchema, renderBigQueryTableOptions } from '../tables/render';
import {
  DATASETS,
  RAW_TABLES,
  REGISTRY,
  type ColumnDef,
  type Dataset,
  type RawTableName,
  type TableDef,
} from '../tables/registry';
import type {
  InsertResult,
  QueryParamType,
  QueryParams,
  RawBatch,
  RejectedRow,
  Warehouse,
} from './port';
import { typedParam } from './query-params';

// ---------------------------------------------------------------------------------------------
// Options and the client

/** Recommended maximum rows per insertAll request (BigQuery's own guidance). */
export const DEFAULT_MAX_ROWS_PER_REQUEST = 500;
/** insertAll's HTTP request limit is 10 MB; 8 MiB of rows leaves room for the envelope. */
export const DEFAULT_MAX_BYTES_PER_REQUEST = 8 * 1024 * 1024;
/** The default client's worst case: 3 attempts x 15 s + 2 retry delays x 1 s. */
export const DEFAULT_CALL_TIMEOUT_MS = 47_000;

export interface BigQueryClientOptions {
  projectId: string;
  location?: string;
  /** e.g. `http://127.0.0.1:PORT` for a local endpoint (tests). */
  apiEndpoint?: string;
  /** Credentials override, e.g. google-auth-library's PassThroughClient for a local endpoint. */
  authClient?: ConstructorParameters<typeof BigQuery>[0] extends infer O
    ? O extends { authClient?: infer A }
      ? A
      : never
    : never;
  /** Client retries of a failed request (HTTP 408/429/5xx, no response); default 2. */
  maxRetries?: number;
  /**
   * Intended time limit of one HTTP attempt; default 15 s (results are long-polled for 5 s).
   * Passed to the client, which currently ignores it (see the module comment): the adapter's
   * `callTimeoutMs` is what bounds a call.
   */
  requestTimeoutMs?: number;
  /** Upper bound of the delay before a retry; default 1 s. */
  maxRetryDelayMs?: number;
  /**
   * The client class to instantiate; default the one imported here. Tests under jest pass the
   * class loaded through Node's own loader (see test/helpers/fake-bigquery.ts).
   */
  clientClass?: typeof BigQuery;
}

/**
 * Builds a BigQuery client with the adapter's bounded, deterministic retry policy (see the module
 * comment). Pass it as `bigquery` to createBigQueryWarehouse, or let the adapter build one.
 */
export function createBigQueryClient(opts: BigQueryClientOptions): BigQuery {
  const maxRetries = opts.maxRetries ?? 2;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
  const maxRetryDelayMs = opts.maxRetryDelayMs ?? 1_000;
  const Client = opts.clientClass ?? BigQuery;
  const client = new Client({
    projectId: opts.projectId,
    ...(opts.location ? { location: opts.location } : {}),
    ...(opts.apiEndpoint ? { apiEndpoint: opts.apiEndpoint } : {}),
    ...(opts.authClient ? { authClient: opts.authClient } : {}),
    retryOptions: {
      // maxRetries: 0 must switch retries off: the client treats 0 as "unset" and uses 3.
      autoRetry: maxRetries > 0,
      maxRetries,
      retryDelayMultiplier: 2,
      // Seconds. Must stay > 0: retry-request never calls back when its delay comes out <= 0.
      maxRetryDelay: Math.max(maxRetryDelayMs, 1) / 1000,
      // Seconds. Above every attempt plus delay, so it never cuts a retry short (which would hang
      // the call, same retry-request quirk); the attempts above bound the time.
      totalTimeout:
        ((maxRetries + 1) * requestTimeoutMs + maxRetries * maxRetryDelayMs) / 1000 + 60,
    },
  });
  // Per-attempt timeout: common's Service passes it to every request (it is not in
  // BigQueryOptions). Without effect until teeny-request maps it to an AbortSignal; kept so the
  // retry of a timed-out attempt starts working when it does.
  client.timeout = requestTimeoutMs;
  return client;
}

export interface BigQueryWarehouseOptions {
  projectId: string;
  /** Location of datasets and jobs, e.g. `EU`; default: BigQuery's (the dataset's). */
  location?: string;
  /** Dataset names when they differ from the logical ones (e.g. per environment). */
  datasets?: { gca_raw?: string; gca_analytics?: string };
  /** A client to use; default createBigQueryClient({ projectId, location }). */
  bigquery?: BigQuery;
  maxRowsPerRequest?: number;
  maxBytesPerRequest?: number;
  /**
   * Deadline of one client call (its retries included), after which it is abandoned with
   * BigQueryRequestError code ETIMEDOUT; default 47 s, the default client's worst case.
   */
  callTimeoutMs?: number;
  /** Re-sends of rows that failed for a non-`invalid` reason in a partial failure; default 2. */
  maxRowRetries?: number;
  /** BigQuery-side job timeout and the adapter's polling deadline; default 5 min. */
  queryTimeoutMs?: number;
  /** How long one getQueryResults call waits for the job server-side; default 5 s. */
  resultsWaitMs?: number;
  /** Rows per results page; default 10 000. */
  pageSize?: number;
  /** Labels on every query job (cost attribution). */
  labels?: Record<string, string>;
  /** Waits between row re-sends (250 ms x attempt) and result polls (100 ms); for tests. */
  sleep?: (ms: number) => Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Errors: facts for shared/errors.ts (status, code, reasons), never a classification.

export interface BigQueryErrorItem {
  reason?: string;
  message?: string;
}

/** Shape of common's ApiError and of network errors (node-fetch FetchError) as thrown. */
interface RawClientError {
  message?: unknown;
  code?: unknown;
  type?: unknown;
  errors?: unknown;
}

function errorItems(value: unknown): BigQueryErrorItem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: unknown) => {
    if (typeof e !== 'object' || e === null) return [];
    const { reason, message } = e as { reason?: unknown; message?: unknown };
    const item: BigQueryErrorItem = {};
    if (typeof reason === 'string') item.reason = reason;
    if (typeof message === 'string') item.message = message;
    return [item];
  });
}

/**
 * A BigQuery request failed as a whole (after the client's bounded retries): HTTP error, no
 * response, or timeout. `status` is the HTTP status when there was a response; `code` is the
 * client's code (the HTTP status, or an errno such as `ECONNREFUSED`, or `ETIMEDOUT` for a
 * request timeout); `errors` are BigQuery's `errors[]` (reason, message). The SDK error is `cause`.
 */
export class BigQueryRequestError extends Error {
  override readonly name = 'BigQueryRequestError';
  readonly status: number | null;
  readonly code: number | string | null;
  readonly errors: BigQueryErrorItem[];
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    const raw: RawClientError = typeof cause === 'object' && cause !== null ? cause : {};
    const message = typeof raw.message === 'string' ? raw.message : String(cause);
    super(`BigQuery ${operation} failed: ${message}`, { cause });
    const isTimeout = raw.type === 'request-timeout';
    this.status = typeof raw.code === 'number' && raw.code >= 100 ? raw.code : null;
    this.code =
      typeof raw.code === 'number' || typeof raw.code === 'string'
        ? raw.code
        : isTimeout
          ? 'ETIMEDOUT'
          : null;
    this.errors = errorItems(raw.errors);
  }
}

/** Rows of an insertAll failed for a retryable reason even after `maxRowRetries` re-sends. */
export class BigQueryInsertError extends Error {
  override readonly name = 'BigQueryInsertError';
  constructor(
    readonly table: string,
    /** insertIds still not written. */
    readonly keys: string[],
    /** Every reason BigQuery gave for them. */
    readonly errors: BigQueryErrorItem[],
    cause: unknown,
  ) {
    super(
      `BigQuery insertAll into ${table}: ${keys.length} row(s) not written after retries (` +
        `${[...new Set(errors.map((e) => e.reason ?? '?'))].join(', ')})`,
      { cause },
    );
  }
}

/** A query job did not finish before the adapter's deadline (it was asked to cancel). */
export class BigQueryQueryTimeoutError extends Error {
  override readonly name = 'BigQueryQueryTimeoutError';
  readonly code = 'QUERY_TIMEOUT';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`BigQuery query job ${jobId} timed out after ${timeoutMs} ms`);
  }
}

// ---------------------------------------------------------------------------------------------
// insertAll: rows, TIMESTAMP encoding, batching

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

// ---------------------------------------------------------------------------------------------
// Query parameters, as the REST API takes them

/** A BigQuery REST `QueryParameter`. */
export interface RestQueryParameter {
  name: string;
  parameterType: { type: QueryParamType | 'ARRAY'; arrayType?: { type: QueryParamType } };
  /** No `value` is SQL NULL (as the Java client sends it; the REST type has no null). */
  parameterValue: { value?: string; arrayValues?: { value: string }[] };
}

function paramScalar(name: string, type: QueryParamType, value: string | number | boolean): string {
  switch (type) {
    case 'TIMESTAMP': {
      const iso = typeof value === 'string' ? tryMicrosIso(value) : null;
      if (iso === null) throw new Error(`parameter @${name}: not a TIMESTAMP: ${String(value)}`);
      return iso;
    }
    case 'DATE':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        throw new Error(`parameter @${name}: not a DATE (YYYY-MM-DD): ${String(value)}`);
      }
      return value;
    case 'INT64':
      if (!Number.isInteger(Number(value))) {
        throw new Error(`parameter @${name}: not an INT64: ${String(value)}`);
      }
      return String(Number(value));
    case 'FLOAT64':
      return String(Number(value));
    case 'BOOL':
      return value === true || value === 'true' ? 'true' : 'false';
    case 'STRING':
      return String(value);
  }
}

/**
 * Named query parameters with explicit types, encoded as strings as the REST API defines them.
 * Built here rather than by the client's `params`/`types`, which sends a string TIMESTAMP or
 * DATE parameter with no value at all (`parameterValue: {}`) and fails on a null array.
 */
export function encodeQueryParameters(params: QueryParams): RestQueryParameter[] {
  return Object.entries(params).map(([name, raw]) => {
    const { type, value } = typedParam(raw);
    if (Array.isArray(value)) {
      const items: readonly (string | number)[] = value;
      return {
        name,
        parameterType: { type: 'ARRAY', arrayType: { type } },
        parameterValue: { arrayValues: items.map((v) => ({ value: paramScalar(name, type, v) })) },
      };
    }
    return {
      name,
      parameterType: { type },
      parameterValue: value === null ? {} : { value: paramScalar(name, type, value) },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Query results: the REST f/v rows -> the registry's JS conventions

interface RestField {
  name: string;
  type: string;
  mode?: string | undefined;
  fields?: RestField[] | undefined;
}

const RestFieldSchema: z.ZodType<RestField> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.string(),
    mode: z.string().optional(),
    fields: z.array(RestFieldSchema).optional(),
  }),
);

const RestRowSchema = z.object({ f: z.array(z.object({ v: z.unknown() })) });

/** `jobs.getQueryResults` response (the parts the adapter reads). */
export const QueryResultsResponseSchema = z.object({
  jobComplete: z.boolean().optional(),
  schema: z.object({ fields: z.array(RestFieldSchema).optional() }).optional(),
  rows: z.array(RestRowSchema).optional(),
  pageToken: z.string().optional(),
  numDmlAffectedRows: z.string().optional(),
  totalRows: z.string().optional(),
});
export type QueryResultsResponse = z.infer<typeof QueryResultsResponseSchema>;

const MICROS_PER_MS = 1000n;

/** Microseconds since the epoch -> `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
function microsToIso(micros: bigint): string {
  const ms = micros >= 0n ? micros / MICROS_PER_MS : (micros - 999n) / MICROS_PER_MS;
  const rest = micros - ms * MICROS_PER_MS;
  return `${new Date(Number(ms)).toISOString().slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

function decodeScalar(field: RestField, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (field.type) {
    case 'RECORD':
    case 'STRUCT':
      return decodeRecord(field.fields ?? [], v);
    case 'INTEGER':
    case 'INT64':
    case 'FLOAT':
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return Number(v);
    case 'BOOLEAN':
    case 'BOOL':
      return v === true || v === 'true';
    case 'TIMESTAMP': {
      const text = String(v);
      // formatOptions.useInt64Timestamp=true: integer microseconds; else float seconds.
      if (/^-?\d+$/.test(text)) return microsToIso(BigInt(text));
      return microsToIso(BigInt(Math.round(Number(text) * 1e6)));
    }
    default:
      // STRING, JSON (text, the registry's convention), DATE, DATETIME, TIME, BYTES (base64).
      return String(v);
  }
}

function decodeRecord(fields: readonly RestField[], v: unknown): Record<string, unknown> {
  const cells = RestRowSchema.parse(v).f;
  const out: Record<string, unknown> = {};
  fields.forEach((field, i) => {
    const cell = cells[i]?.v ?? null;
    if (field.mode === 'REPEATED') {
      out[field.name] = Array.isArray(cell)
        ? cell.map((item: unknown) => decodeScalar(field, (item as { v?: unknown } | null)?.v))
        : [];
    } else {
      out[field.name] = decodeScalar(field, cell);
    }
  });
  return out;
}

/** Rows of a results page as plain objects: TIMESTAMP as microsecond ISO, numbers as numbers. */
export function decodeQueryRows(response: QueryResultsResponse): Record<string, unknown>[] {
  const fields = response.schema?.fields ?? [];
  return (response.rows ?? []).map((row) => decodeRecord(fields, row));
}

// ---------------------------------------------------------------------------------------------
// The adapter

const INSERT_OPTIONS = {
  raw: true,
  // Valid rows of a request are written even when another row is invalid; without it BigQuery
  // refuses the whole request and marks the good rows `stopped`.
  skipInvalidRows: true,
  ignoreUnknownValues: false,
  // The client would re-send failed rows, `invalid` ones included, 3 times; the adapter decides.
  partialRetries: 0,
} as const;

const RAW_TABLE_NAMES = Object.keys(RAW_TABLES) as RawTableName[];

class BigQueryWarehouse implements Warehouse {
  readonly engine = 'bigquery' as const;
  private readonly bq: BigQuery;
  private readonly datasetNames: Record<Dataset, string>;
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private readonly maxRowRetries: number;
  private readonly callTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly resultsWaitMs: number;
  private readonly pageSize: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: BigQueryWarehouseOptions) {
    this.bq =
      opts.bigquery ??
      createBigQueryClient({
        projectId: opts.projectId,
        ...(opts.location ? { location: opts.location } : {}),
      });
    this.datasetNames = {
      gca_raw: opts.datasets?.gca_raw ?? 'gca_raw',
      gca_analytics: opts.datasets?.gca_analytics ?? 'gca_analytics',
    };
    this.maxRows = opts.maxRowsPerRequest ?? DEFAULT_MAX_ROWS_PER_REQUEST;
    this.maxBytes = opts.maxBytesPerRequest ?? DEFAULT_MAX_BYTES_PER_REQUEST;
    this.maxRowRetries = opts.maxRowRetries ?? 2;
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 300_000;
    this.resultsWaitMs = opts.resultsWaitMs ?? 5_000;
    this.pageSize = opts.pageSize ?? 10_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Runs one client call under the deadline. Past it the call is abandoned (its late outcome is
   * ignored) and BigQueryRequestError code ETIMEDOUT is thrown; other errors pass unchanged.
   */
  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new BigQueryRequestError(operation, {
            code: 'ETIMEDOUT',
            message: `no answer within ${this.callTimeoutMs} ms (timed out)`,
          }),
        );
      }, this.callTimeoutMs);
      run().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private table(def: TableDef): Table {
    return this.bq
      .dataset(this.datasetNames[def.dataset], { projectId: this.opts.projectId })
      .table(def.name);
  }

  async ensureSchema(): Promise<void> {
    for (const logical of DATASETS) {
      const dataset = this.bq.dataset(this.datasetNames[logical], {
        projectId: this.opts.projectId,
      });
      const id = dataset.id ?? '';
      const [exists] = await this.call(`datasets.get ${id}`, () => dataset.exists()).catch(
        (err: unknown) => {
          throw wrap(`datasets.get ${id}`, err);
        },
      );
      if (!exists) {
        await this.call(`datasets.insert ${id}`, () =>
          dataset.create(this.opts.location ? { location: this.opts.location } : {}),
        ).catch(ignoreAlreadyExists(`datasets.insert ${id}`));
      }
    }
    // Tables before views: a view's query must resolve its tables.
    const ordered = [...REGISTRY.filter((t) => t.kind === 'table'), ...VIEWS.map((v) => v.table)];
    for (const def of ordered) {
      const table = this.table(def);
      const name = `${this.datasetNames[def.dataset]}.${def.name}`;
      const [exists] = await this.call(`tables.get ${name}`, () => table.exists()).catch(
        (err: unknown) => {
          throw wrap(`tables.get ${name}`, err);
        },
      );
      if (exists) continue;
      const view = VIEWS.find((v) => v.table === def);
      const metadata = view
        ? {
            description: def.description,
            view: {
              query: renderSql(view.select, this.sqlTarget()),
              useLegacySql: false,
            },
          }
        : {
            description: def.description,
            schema: { fields: renderBigQuerySchema(def) },
            ...renderBigQueryTableOptions(def),
          };
      await this.call(`tables.insert ${name}`, () =>
        table.dataset.createTable(def.name, metadata),
      ).catch(ignoreAlreadyExists(`tables.insert ${name}`));
    }
  }

  async insertRaw(batch: RawBatch): Promise<InsertResult> {
    const result: InsertResult = { inserted: 0, duplicates: 0, rejected: [] };
    for (const name of RAW_TABLE_NAMES) {
      // Tolerate a batch built without every key (the DuckDB adapter does too).
      const rows: readonly object[] = (batch[name] as readonly object[] | undefined) ?? [];
      if (rows.length === 0) continue;
      const def = RAW_TABLES[name];
      const encoded = rows.map((row) => toInsertAllRow(def, row));
      const { batches, oversized } = planInsertBatches(encoded, this.maxRows, this.maxBytes);
      for (const { row, bytes } of oversized) {
        result.rejected.push({
          table: name,
          key: row.insertId,
          detail: `row of ${bytes} bytes exceeds the insertAll request limit of ${this.maxBytes} bytes`,
        });
      }
      for (const rowsOfRequest of batches) {
        const written = await this.insertRequest(name, def, rowsOfRequest);
        result.inserted += written.inserted;
        result.rejected.push(...written.rejected);
      }
    }
    return result;
  }

  /** One insertAll request, plus bounded re-sends of rows that failed for a retryable reason. */
  private async insertRequest(
    name: RawTableName,
    def: TableDef,
    rows: InsertAllRow[],
  ): Promise<{ inserted: number; rejected: RejectedRow[] }> {
    const qualified = `${this.datasetNames[def.dataset]}.${def.name}`;
    const table = this.table(def);
    const rejected: RejectedRow[] = [];
    let inserted = 0;
    let pending = rows;
    for (let attempt = 0; ; attempt++) {
      let failures: PartialFailure[];
      try {
        const rowsToSend = pending;
        await this.call(`insertAll into ${qualified}`, () =>
          table.insert(rowsToSend, INSERT_OPTIONS),
        );
        return { inserted: inserted + pending.length, rejected };
      } catch (err) {
        const partial = partialFailures(err);
        if (!partial) throw wrap(`insertAll into ${qualified}`, err);
        failures = partial;
        const failed = new Set(failures.map((f) => f.row.insertId));
        inserted += pending.filter((r) => !failed.has(r.insertId)).length;
        const retry: PartialFailure[] = [];
        for (const failure of failures) {
          // Only the reasons decide (the messages may quote user data); shared/errors.ts says
          // which reasons are the row's own fault.
          const reasons = failure.errors.map((e) => ({ reason: e.reason }));
          if (describeError({ errors: reasons }).errorClass === 'permanent') {
            rejected.push({
              table: name,
              key: failure.row.insertId,
              detail: describeRowErrors(failure.errors),
            });
          } else {
            retry.push(failure);
          }
        }
        if (retry.length === 0) return { inserted, rejected };
        if (attempt >= this.maxRowRetries) {
          throw new BigQueryInsertError(
            qualified,
            retry.map((f) => f.row.insertId),
            retry.flatMap((f) => f.errors),
            err,
          );
        }
        pending = retry.map((f) => f.row);
        await this.sleep(250 * (attempt + 1));
      }
    }
  }

  async query<R extends object = Record<string, unknown>>(
    sql: string,
    params: QueryParams = {},
  ): Promise<R[]> {
    const { rows } = await this.runQuery(sql, params);
    // The caller names the row shape of its own SQL; the values follow the registry conventions.
    return rows as R[];
  }

  async execute(sql: string, params: QueryParams = {}): Promise<number> {
    return (await this.runQuery(sql, params)).affected;
  }

  async close(): Promise<void> {
    // The REST client holds no connection that needs closing.
  }

  private sqlTarget(): {
    engine: 'bigquery';
    projectId: string;
    datasets: { gca_raw: string; gca_analytics: string };
  } {
    return { engine: 'bigquery', projectId: this.opts.projectId, datasets: this.datasetNames };
  }

  /** jobs.insert, then jobs.getQueryResults until the job is done and every page is read. */
  private async runQuery(
    sql: string,
    params: QueryParams,
  ): Promise<{ rows: Record<string, unknown>[]; affected: number }> {
    const query = renderSql(sql, this.sqlTarget());
    const queryParameters = encodeQueryParameters(params);
    const deadline = Date.now() + this.queryTimeoutMs;
    const [job] = await this.call('jobs.insert', () =>
      this.bq.createQueryJob({
        query,
        useLegacySql: false,
        ...(queryParameters.length > 0 ? { parameterMode: 'NAMED' as const, queryParameters } : {}),
        jobTimeoutMs: this.queryTimeoutMs,
        jobPrefix: 'gca_',
        ...(this.opts.location ? { location: this.opts.location } : {}),
        ...(this.opts.labels ? { labels: this.opts.labels } : {}),
      }),
    ).catch((err: unknown) => {
      throw wrap('jobs.insert', err);
    });
    const jobId = job.id;
    if (!jobId) throw new Error('BigQuery jobs.insert returned no job id');
    const location = job.location ?? this.opts.location;
    const rows: Record<string, unknown>[] = [];
    let affected = 0;
    let pageToken: string | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await this.call('jobs.cancel', () => job.cancel()).catch(() => undefined);
        throw new BigQueryQueryTimeoutError(jobId, this.queryTimeoutMs);
      }
      const page = await this.call(`jobs.getQueryResults ${jobId}`, () =>
        this.getQueryResults(jobId, {
          ...(location ? { location } : {}),
          timeoutMs: Math.min(this.resultsWaitMs, remaining),
          maxResults: this.pageSize,
          'formatOptions.useInt64Timestamp': true,
          ...(pageToken ? { pageToken } : {}),
        }),
      );
      // The server already waited up to resultsWaitMs; a short pause keeps an early answer from
      // turning this into a busy loop.
      if (page.jobComplete === false) {
        await this.sleep(Math.min(100, Math.max(0, deadline - Date.now())));
        continue;
      }
      rows.push(...decodeQueryRows(page));
      if (page.numDmlAffectedRows !== undefined) affected = Number(page.numDmlAffectedRows);
      if (!page.pageToken) break;
      pageToken = page.pageToken;
    }
    return { rows, affected };
  }

  /** One jobs.getQueryResults call through the client (auth, retries, timeout), unparsed rows. */
  private getQueryResults(
    jobId: string,
    qs: Record<string, string | number | boolean>,
  ): Promise<QueryResultsResponse> {
    return new Promise((resolve, reject) => {
      this.bq.request({ uri: `/queries/${encodeURIComponent(jobId)}`, qs }, (err, body) => {
        if (err) {
          reject(new BigQueryRequestError(`jobs.getQueryResults ${jobId}`, err));
          return;
        }
        const parsed = QueryResultsResponseSchema.safeParse(body);
        if (!parsed.success) {
          reject(new Error(`unexpected getQueryResults response: ${parsed.error.message}`));
          return;
        }
        resolve(parsed.data);
      });
    });
  }
}

/** Wraps an SDK error with the operation; our own errors pass unchanged. */
function wrap(operation: string, err: unknown): Error {
  return err instanceof BigQueryRequestError ? err : new BigQueryRequestError(operation, err);
}

/** Turns a 409 (created meanwhile by another process) into success, wraps anything else. */
function ignoreAlreadyExists(operation: string): (err: unknown) => void {
  return (err: unknown) => {
    if ((err as { code?: unknown } | null)?.code === 409) return;
    throw wrap(operation, err);
  };
}

/**
 * The BigQuery warehouse: `insertRaw` streams rows with deterministic insertIds, `query` and
 * `execute` run parameterized query jobs, `ensureSchema` creates missing datasets, tables and
 * views from the registry (Pulumi owns them in the cloud; this is for development).
 */
export function createBigQueryWarehouse(opts: BigQueryWarehouseOptions): Warehouse {
  return new BigQueryWarehouse(opts);
}
