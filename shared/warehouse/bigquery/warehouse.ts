/**
 * The BigQuery warehouse adapter (cloud). Raw rows are streamed with `tabledata.insertAll`
 * (./insert-all.ts); recompute and retention SQL run as parameterized query jobs (`jobs.insert`,
 * then `jobs.getQueryResults` until complete), rendered from the one BigQuery-dialect text by
 * shared/sql/render.ts.
 *
 * Retries and time limits, deliberately bounded so a transient failure reaches the function
 * (which fails the request so Pub/Sub redelivers) in a known time:
 * - whole requests: the client's bounded retries (./client.ts), then BigQueryRequestError with
 *   the HTTP status, code and reasons.
 * - every client call also has a deadline, `callTimeoutMs` (default 47 s, DEFAULT_CALL_TIMEOUT_MS
 *   says why). Past the deadline the call is abandoned and BigQueryRequestError with code
 *   `ETIMEDOUT` is thrown.
 * - rows of a partial failure: rejected or re-sent (sendInsertRequest in ./insert-all.ts).
 * - query jobs: each job has `jobTimeoutMs` on BigQuery's side, and the adapter stops polling at
 *   the same deadline (BigQueryQueryTimeoutError, after a best-effort cancel).
 * Which errors are transient is decided by shared/errors.ts; this folder only keeps the facts.
 */
import type { BigQuery, Table } from '@google-cloud/bigquery';
import { renderSql } from '../../sql/render';
import { renderBigQuerySchema, renderBigQueryTableOptions } from '../../tables/render';
import {
  DATASETS,
  RAW_TABLES,
  REGISTRY,
  type Dataset,
  type RawTableName,
  type TableDef,
} from '../../tables/registry';
import type { InsertResult, QueryParams, RawBatch, Warehouse } from '../port';
import { createBigQueryClient, DEFAULT_CALL_TIMEOUT_MS } from './client';
import {
  BigQueryQueryTimeoutError,
  BigQueryRequestError,
  ignoreAlreadyExists,
  wrap,
} from './errors';
import {
  DEFAULT_MAX_BYTES_PER_REQUEST,
  DEFAULT_MAX_ROWS_PER_REQUEST,
  INSERT_OPTIONS,
  planInsertBatches,
  sendInsertRequest,
  toInsertAllRow,
  type InsertRequest,
} from './insert-all';
import { encodeQueryParameters } from './query-params';
import { decodeQueryRows, QueryResultsResponseSchema, type QueryResultsResponse } from './rows';

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
   * BigQueryRequestError code ETIMEDOUT; default DEFAULT_CALL_TIMEOUT_MS (47 s).
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
    for (const def of REGISTRY) {
      const table = this.table(def);
      const name = `${this.datasetNames[def.dataset]}.${def.name}`;
      const [exists] = await this.call(`tables.get ${name}`, () => table.exists()).catch(
        (err: unknown) => {
          throw wrap(`tables.get ${name}`, err);
        },
      );
      if (exists) continue;
      const metadata = {
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
      const qualified = `${this.datasetNames[def.dataset]}.${def.name}`;
      const table = this.table(def);
      const request: InsertRequest = {
        table: name,
        qualified,
        send: (rowsToSend) =>
          this.call(`insertAll into ${qualified}`, () => table.insert(rowsToSend, INSERT_OPTIONS)),
        maxRowRetries: this.maxRowRetries,
        sleep: this.sleep,
      };
      for (const rowsOfRequest of batches) {
        const written = await sendInsertRequest(request, rowsOfRequest);
        result.inserted += written.inserted;
        result.rejected.push(...written.rejected);
      }
    }
    return result;
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

  /**
   * jobs.insert, then jobs.getQueryResults until the job is done and every page is read.
   * Results are polled and decoded here rather than by the client's `Job.getQueryResults`: with
   * a `timeoutMs` that method reports a job still running as an error ("The query did not
   * complete before ...", googleapis/nodejs-bigquery#872), so a bounded long-poll under one
   * deadline cannot be told from a failure; and its row decoding returns BigQueryTimestamp,
   * BigQueryDate and Big objects, where the port promises the registry's plain values with
   * TIMESTAMPs to the microsecond (the client's precision issue: googleapis/nodejs-bigquery#6).
   * The request itself still goes through the client (auth, retries).
   */
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

/**
 * The BigQuery warehouse: `insertRaw` streams rows with deterministic insertIds, `query` and
 * `execute` run parameterized query jobs, `ensureSchema` creates missing datasets, tables and
 * views from the registry (Pulumi owns them in the cloud; this is for development).
 */
export function createBigQueryWarehouse(opts: BigQueryWarehouseOptions): Warehouse {
  return new BigQueryWarehouse(opts);
}
