import type {
  MetadataEventRow,
  QuarantineRow,
  RawTableName,
  RequestRow,
  ResponseRow,
} from '../tables/registry';

/** Rows for the raw tables, as normalization produces them. */
export interface RawBatch {
  requests: RequestRow[];
  responses: ResponseRow[];
  metadata_events: MetadataEventRow[];
  quarantine: QuarantineRow[];
}

/** A row the warehouse refused (e.g. a BigQuery per-row insert error): quarantined by the caller. */
export interface RejectedRow {
  table: RawTableName;
  /** entry_key (or quarantine_id) of the rejected row. */
  key: string;
  detail: string;
}

export interface InsertResult {
  /** Rows written. */
  inserted: number;
  /**
   * Rows not written because a row with the same key is already there. DuckDB knows this
   * exactly; BigQuery's insertId dedup is silent, so it reports 0 there and recompute dedups.
   */
  duplicates: number;
  rejected: RejectedRow[];
}

/** A named query parameter. Arrays are ARRAY<STRING>/ARRAY<INT64>; null needs its type. */
export type QueryParamValue = string | number | boolean | null | string[] | number[];
export type QueryParamType = 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP' | 'DATE';
export interface QueryParams {
  [name: string]: QueryParamValue | { type: QueryParamType; value: QueryParamValue };
}

/**
 * The warehouse port: BigQuery in the cloud, DuckDB locally. SQL passed to `query` is written
 * once in BigQuery Standard SQL (see shared/sql) and rendered by the adapter for its engine.
 */
export interface Warehouse {
  readonly engine: 'bigquery' | 'duckdb';
  /** Creates datasets/schemas, tables, views and compatibility macros if missing. Idempotent. */
  ensureSchema(): Promise<void>;
  /** Writes raw rows in batches; a row whose key is already stored is not written again. */
  insertRaw(batch: RawBatch): Promise<InsertResult>;
  /** Runs one statement with `@name` parameters; returns its rows (empty for DML). */
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: QueryParams,
  ): Promise<R[]>;
  /** Runs a DML statement and returns the number of rows it affected. */
  execute(sql: string, params?: QueryParams): Promise<number>;
  close(): Promise<void>;
}
