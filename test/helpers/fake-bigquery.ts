/**
 * A small local HTTP server speaking the BigQuery v2 REST calls the Node client makes, so the
 * real `@google-cloud/bigquery` client (and our adapter) can be tested without the cloud:
 *
 *   const fake = await startFakeBigQuery();
 *   const bigquery = fake.client();              // real client, pointed here, no credentials
 *   spawn(..., { env: { ...fake.env(), ... } })   // or any process: BIGQUERY_EMULATOR_HOST
 *   fake.script({ method: 'POST', path: /insertAll$/ }, { status: 500, body: googleError(500, 'backendError') });
 *   fake.onQuery(() => ({ fields: [{ name: 'n', type: 'INT64' }], rows: [['1']] }));
 *   ...; expect(fake.requests).toEqual(...); await fake.close();
 *
 * Speaks: tabledata.insertAll, jobs.insert, jobs.get, jobs.cancel, jobs.query,
 * jobs.getQueryResults, datasets.get/insert, tables.get/insert, at its root (as a client with
 * BIGQUERY_EMULATOR_HOST calls them) or under `/bigquery/v2`. Records every request. Scripted
 * responses (errors, partial failures, hangs, connection resets) take precedence, in order.
 *
 * Another process (the command, the functions, a benchmark) uses it through the adapter's
 * BIGQUERY_EMULATOR_HOST support: pass `fake.env()` in its environment, with
 * GCA_WAREHOUSE=bigquery and GOOGLE_CLOUD_PROJECT=`fake.projectId`. `latencyMs` delays every
 * answer, e.g. for a realistic insertAll latency in a benchmark.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { BigQuery } from '@google-cloud/bigquery';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WarehouseConfig } from '../../shared/config';
import { DEFAULT_FACTORIES, type DepsFactories } from '../../shared/deps';
import { openLocalStateStore } from '../../shared/state/local';
import type { StateStore } from '../../shared/state/port';
import {
  createBigQueryClient,
  createBigQueryWarehouse,
  type BigQueryClientOptions,
  type BigQueryWarehouseOptions,
} from '../../shared/warehouse/bigquery';
import type { Warehouse } from '../../shared/warehouse/port';

/**
 * The BigQuery client and google-auth-library loaded through Node's own loader, not jest's.
 * The client's HTTP layer (teeny-request) loads node-fetch 3 with a dynamic `import()`, which
 * jest's module VM refuses without --experimental-vm-modules ("A dynamic import callback was
 * invoked without --experimental-vm-modules"). `process.getBuiltinModule` (Node >= 20.16) reaches
 * the real `module` builtin, whose createRequire loads the unmodified client natively; outside
 * jest this is simply the same modules.
 */
function loadNatively(): typeof import('@google-cloud/bigquery').BigQuery {
  const nodeModule = process.getBuiltinModule('node:module');
  const nativeRequire = nodeModule.createRequire(__filename);
  const bigquery = nativeRequire(
    '@google-cloud/bigquery',
  ) as typeof import('@google-cloud/bigquery');
  return bigquery.BigQuery;
}

export interface RecordedRequest {
  method: string;
  /** Path after `/bigquery/v2`, e.g. `/projects/p/datasets/gca_raw/tables/requests/insertAll`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or null. */
  body: unknown;
}

/** What a scripted request gets: a response, a connection that never answers, or a reset. */
export type ScriptedResponse = { status: number; body?: unknown } | 'hang' | 'reset';

export interface RequestMatcher {
  method?: string;
  /** Matched against `RecordedRequest.path`: a RegExp, or a string the path ends with. */
  path: RegExp | string;
}

/** A field of a result schema, as the REST API sends it. */
export interface FakeField {
  name: string;
  type: string;
  mode?: string;
  fields?: FakeField[];
}

/** A cell in wire form: strings (as BigQuery sends every scalar), null, arrays, records. */
export type FakeCell = string | null | FakeCell[] | { [field: string]: FakeCell };

export interface FakeQueryResult {
  fields?: FakeField[];
  rows?: FakeCell[][];
  numDmlAffectedRows?: number;
  /** getQueryResults answers `jobComplete: false` this many times first. */
  pendingPolls?: number;
  /**
   * The job fails with this error: by default jobs.insert accepts it and getQueryResults answers
   * 400 with the error; with `failAtInsert` jobs.insert already returns it DONE with the error.
   */
  error?: { reason: string; message: string };
  failAtInsert?: boolean;
}

export interface QueryRequestInfo {
  query: string;
  parameterMode?: string;
  queryParameters?: unknown[];
  /** The whole `configuration` (jobs.insert) or request body (jobs.query). */
  configuration: Record<string, unknown>;
}

export interface FakeBigQuery {
  port: number;
  /** `http://127.0.0.1:PORT`, the value of BIGQUERY_EMULATOR_HOST that points here. */
  url: string;
  /** `{ BIGQUERY_EMULATOR_HOST: url }`, for the environment of another process. */
  env(): { BIGQUERY_EMULATOR_HOST: string };
  projectId: string;
  requests: RecordedRequest[];
  /** Every query job received (jobs.insert and jobs.query), in order. */
  queries: QueryRequestInfo[];
  /** Requests whose path matches (RegExp, or a string the path ends with). */
  requestsTo(path: RegExp | string, method?: string): RecordedRequest[];
  script(match: RequestMatcher, ...responses: ScriptedResponse[]): void;
  onQuery(handler: (query: QueryRequestInfo) => FakeQueryResult): void;
  /** Datasets and tables that exist (`dataset` or `dataset.table`), with their resources. */
  resources: Map<string, Record<string, unknown>>;
  /** A real client pointed here, without credentials, with the adapter's retry policy. */
  client(opts?: Omit<BigQueryClientOptions, 'projectId' | 'emulatorHost'>): BigQuery;
  close(): Promise<void>;
}

/**
 * A result schema from `{ column: type }`, e.g. `fakeFields({ n: 'INT64', day: 'DATE' })`
 * (a RECORD column, with its nested fields, is written out as a FakeField).
 */
export function fakeFields(types: Record<string, string>): FakeField[] {
  return Object.entries(types).map(([name, type]) => ({ name, type }));
}

/**
 * The adapter on the fake's client, failing fast: no client retries, no waits between polls or
 * row re-sends, 5 s per call. `opts` overrides any of it (datasets, location, retries...).
 */
export function fakeWarehouse(
  fake: FakeBigQuery,
  opts: Partial<BigQueryWarehouseOptions> = {},
): Warehouse {
  return createBigQueryWarehouse({
    projectId: fake.projectId,
    bigquery: fake.client({ maxRetries: 0 }),
    callTimeoutMs: 5_000,
    sleep: async () => undefined,
    ...opts,
  });
}

/**
 * The adapter a process opens from its configuration (as shared/deps.ts does), on the fake. A
 * configuration that does not choose BigQuery is a mistake of the test: it throws.
 */
export function fakeWarehouseFor(fake: FakeBigQuery, config: WarehouseConfig): Warehouse {
  if (config.warehouse.kind !== 'bigquery') {
    throw new Error(`the fake BigQuery was asked for a ${config.warehouse.kind} warehouse`);
  }
  return fakeWarehouse(fake, {
    projectId: config.projectId ?? '',
    location: config.bqLocation,
    datasets: { gca_raw: config.rawDataset, gca_analytics: config.analyticsDataset },
  });
}

/** The real port factories, with the warehouse on the fake (for the command or a function). */
export function fakeFactories(fake: FakeBigQuery): DepsFactories {
  return { ...DEFAULT_FACTORIES, openWarehouse: async (c) => fakeWarehouseFor(fake, c) };
}

/** The fake, the adapter on it and a local state store in a temp dir: a job run on BigQuery. */
export interface FakeBigQueryJobSetup {
  fake: FakeBigQuery;
  warehouse: Warehouse;
  state: StateStore;
  /** Closes the state store and the fake, and deletes the directory. */
  close(): Promise<void>;
}

export async function startFakeBigQueryJobSetup(): Promise<FakeBigQueryJobSetup> {
  const fake = await startFakeBigQuery();
  const dir = mkdtempSync(join(tmpdir(), 'gca-job-bq-'));
  const state = await openLocalStateStore(join(dir, 'state.json'));
  return {
    fake,
    warehouse: fakeWarehouse(fake),
    state,
    async close() {
      await state.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Named parameters of a recorded query as { name: { type, value } } (an array's values as a list). */
export function paramsOf(q: QueryRequestInfo): Record<string, { type: string; value: unknown }> {
  const out: Record<string, { type: string; value: unknown }> = {};
  for (const p of (q.queryParameters ?? []) as {
    name: string;
    parameterType: { type: string };
    parameterValue: { value?: unknown; arrayValues?: { value: unknown }[] };
  }[]) {
    out[p.name] = {
      type: p.parameterType.type,
      value: p.parameterValue.value ?? p.parameterValue.arrayValues?.map((v) => v.value),
    };
  }
  return out;
}

/** A Google API error body, as BigQuery sends it. */
export function googleError(
  code: number,
  reason: string,
  message = `${reason} (fake)`,
): { error: Record<string, unknown> } {
  const status: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ALREADY_EXISTS',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  return {
    error: {
      code,
      message,
      errors: [{ message, domain: 'global', reason }],
      status: status[code] ?? 'UNKNOWN',
    },
  };
}

/** An insertAll 200 response with per-row errors (a partial failure). */
export function insertErrors(...rows: { index: number; reason: string; message?: string }[]): {
  status: number;
  body: unknown;
} {
  return {
    status: 200,
    body: {
      kind: 'bigquery#tableDataInsertAllResponse',
      insertErrors: rows.map((r) => ({
        index: r.index,
        errors: [{ reason: r.reason, location: '', debugInfo: '', message: r.message ?? r.reason }],
      })),
    },
  };
}

function toCell(value: FakeCell): unknown {
  if (value === null || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => ({ v: toCell(v) }));
  return { f: Object.values(value).map((v) => ({ v: toCell(v) })) };
}

interface FakeJob {
  id: string;
  location: string;
  result: FakeQueryResult;
  polls: number;
  resource: Record<string, unknown>;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      let buf = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
      const text = buf.toString('utf8');
      if (text === '') return resolve(null);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeBigQuery(
  opts: { projectId?: string; latencyMs?: number } = {},
): Promise<FakeBigQuery> {
  const projectId = opts.projectId ?? 'gca-test';
  const latencyMs = opts.latencyMs ?? 0;
  const requests: RecordedRequest[] = [];
  const queries: QueryRequestInfo[] = [];
  const scripts: { match: RequestMatcher; responses: ScriptedResponse[] }[] = [];
  const resources = new Map<string, Record<string, unknown>>();
  const jobs = new Map<string, FakeJob>();
  let queryHandler: (q: QueryRequestInfo) => FakeQueryResult = () => ({});

  const matches = (m: RequestMatcher, method: string, path: string): boolean =>
    (m.method === undefined || m.method === method) &&
    (typeof m.path === 'string' ? path.endsWith(m.path) : m.path.test(path));

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body ?? {});
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(text);
  };

  const createJob = (configuration: Record<string, unknown>, location: string, id: string) => {
    const q = asRecord(configuration.query);
    const info: QueryRequestInfo = {
      query: String(q.query ?? configuration.query ?? ''),
      configuration,
    };
    if (typeof q.parameterMode === 'string') info.parameterMode = q.parameterMode;
    if (Array.isArray(q.queryParameters)) info.queryParameters = q.queryParameters;
    queries.push(info);
    const result = queryHandler(info);
    const resource: Record<string, unknown> = {
      kind: 'bigquery#job',
      id: `${projectId}:${location}.${id}`,
      jobReference: { projectId, jobId: id, location },
      configuration,
      status:
        result.error && result.failAtInsert
          ? { state: 'DONE', errorResult: result.error, errors: [result.error] }
          : { state: result.pendingPolls || result.error ? 'RUNNING' : 'DONE' },
      statistics: {},
    };
    const job: FakeJob = { id, location, result, polls: 0, resource };
    jobs.set(id, job);
    return job;
  };

  const resultsPage = (job: FakeJob, query: Record<string, string>): [number, unknown] => {
    if (job.result.error) {
      return [400, googleError(400, job.result.error.reason, job.result.error.message)];
    }
    if (job.polls < (job.result.pendingPolls ?? 0)) {
      job.polls++;
      return [
        200,
        {
          kind: 'bigquery#getQueryResultsResponse',
          jobReference: job.resource.jobReference,
          jobComplete: false,
        },
      ];
    }
    job.resource.status = { state: 'DONE' };
    const all = job.result.rows ?? [];
    const start = Number(query.pageToken ?? '0');
    const size = query.maxResults ? Number(query.maxResults) : all.length;
    const slice = all.slice(start, start + size);
    const body: Record<string, unknown> = {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: job.resource.jobReference,
      jobComplete: true,
      schema: { fields: job.result.fields ?? [] },
      totalRows: String(all.length),
      rows: slice.map((row) => ({ f: row.map((v) => ({ v: toCell(v) })) })),
      cacheHit: false,
    };
    if (start + size < all.length) body.pageToken = String(start + size);
    if (job.result.numDmlAffectedRows !== undefined) {
      body.numDmlAffectedRows = String(job.result.numDmlAffectedRows);
    }
    return [200, body];
  };

  const route = (r: RecordedRequest): [number, unknown] => {
    const p = `/projects/${projectId}`;
    const parts = r.path.startsWith(`${p}/`) ? r.path.slice(p.length + 1).split('/') : [];
    const [a, b, c, d, e] = parts.map(decodeURIComponent);
    const body = asRecord(r.body);
    // datasets
    if (a === 'datasets' && b === undefined && r.method === 'POST') {
      const ref = asRecord(body.datasetReference);
      const id = String(ref.datasetId);
      if (resources.has(id)) return [409, googleError(409, 'duplicate', `Already Exists: ${id}`)];
      resources.set(id, { ...body, kind: 'bigquery#dataset', id: `${projectId}:${id}` });
      return [200, resources.get(id)];
    }
    if (a === 'datasets' && b && c === undefined && r.method === 'GET') {
      const found = resources.get(b);
      return found
        ? [200, found]
        : [404, googleError(404, 'notFound', `Not found: Dataset ${projectId}:${b}`)];
    }
    // tables
    if (a === 'datasets' && b && c === 'tables' && d === undefined && r.method === 'POST') {
      const ref = asRecord(body.tableReference);
      const key = `${b}.${String(ref.tableId)}`;
      if (!resources.has(b)) return [404, googleError(404, 'notFound', `Not found: Dataset ${b}`)];
      if (resources.has(key)) return [409, googleError(409, 'duplicate', `Already Exists: ${key}`)];
      resources.set(key, { ...body, kind: 'bigquery#table' });
      return [200, resources.get(key)];
    }
    if (a === 'datasets' && b && c === 'tables' && d && e === undefined && r.method === 'GET') {
      const found = resources.get(`${b}.${d}`);
      return found
        ? [200, found]
        : [404, googleError(404, 'notFound', `Not found: Table ${b}.${d}`)];
    }
    // tabledata.insertAll
    if (a === 'datasets' && b && c === 'tables' && d && e === 'insertAll' && r.method === 'POST') {
      return [200, { kind: 'bigquery#tableDataInsertAllResponse' }];
    }
    // jobs
    if (a === 'jobs' && b === undefined && r.method === 'POST') {
      const ref = asRecord(body.jobReference);
      const id = typeof ref.jobId === 'string' ? ref.jobId : randomUUID();
      if (jobs.has(id)) return [409, googleError(409, 'duplicate', `Already Exists: Job ${id}`)];
      const job = createJob(asRecord(body.configuration), String(ref.location ?? 'US'), id);
      return [200, job.resource];
    }
    if (a === 'jobs' && b && (c === undefined || c === 'cancel')) {
      const job = jobs.get(b);
      if (!job) return [404, googleError(404, 'notFound', `Not found: Job ${b}`)];
      if (c === 'cancel') job.resource.status = { state: 'DONE' };
      return [
        200,
        c === 'cancel' ? { kind: 'bigquery#jobCancelResponse', job: job.resource } : job.resource,
      ];
    }
    // jobs.query and jobs.getQueryResults
    if (a === 'queries' && b === undefined && r.method === 'POST') {
      const job = createJob({ query: body }, String(body.location ?? 'US'), randomUUID());
      const [status, page] = resultsPage(job, {});
      return [status, page];
    }
    if (a === 'queries' && b && r.method === 'GET') {
      const job = jobs.get(b);
      if (!job) return [404, googleError(404, 'notFound', `Not found: Job ${b}`)];
      return resultsPage(job, r.query);
    }
    return [
      404,
      googleError(404, 'notFound', `fake BigQuery does not speak ${r.method} ${r.path}`),
    ];
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname.replace(/^\/bigquery\/v2/, ''),
        query: Object.fromEntries(url.searchParams.entries()),
        headers: req.headers,
        body: await readBody(req),
      };
      requests.push(recorded);
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      const scripted = scripts.find(
        (s) => s.responses.length > 0 && matches(s.match, recorded.method, recorded.path),
      );
      const response = scripted?.responses.shift();
      if (response === 'hang') return; // never answers; close() ends the socket
      if (response === 'reset') {
        req.socket.destroy();
        return;
      }
      if (response) {
        send(res, response.status, response.body);
        return;
      }
      const [status, body] = route(recorded);
      send(res, status, body);
    })().catch((err: unknown) => send(res, 500, googleError(500, 'internalError', String(err))));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;

  return {
    port,
    url,
    projectId,
    requests,
    queries,
    requestsTo: (path, method) =>
      requests.filter((r) => matches(method ? { path, method } : { path }, r.method, r.path)),
    script: (match, ...responses) => {
      scripts.push({ match, responses });
    },
    onQuery: (handler) => {
      queryHandler = handler;
    },
    resources,
    env: () => ({ BIGQUERY_EMULATOR_HOST: url }),
    client: (clientOpts = {}) =>
      // The adapter's emulator path, as BIGQUERY_EMULATOR_HOST would take it.
      createBigQueryClient({
        ...clientOpts,
        projectId,
        emulatorHost: url,
        clientClass: loadNatively(),
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
