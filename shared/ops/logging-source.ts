/**
 * Backfill source: the Cloud Logging API's entries.list, through a port (the generated
 * LoggingServiceV2Client of @google-cloud/logging in the command, over REST).
 *
 * Quota: entries.list allows 60 requests a minute per project (Cloud Logging "Quotas and limits",
 * https://cloud.google.com/logging/quotas), with at most 1,000 entries a page: about 60,000
 * entries a minute. Requests are spaced to stay under `requestsPerMinute`, and a 429 /
 * RESOURCE_EXHAUSTED (or a 503 / UNAVAILABLE) is retried with exponential backoff and jitter.
 */
import type { RawRecord } from '../pipeline/ingest';
import { GEMINI_RESOURCE_TYPE } from '../schemas/log-entry';
import type { BackfillPage, BackfillSource } from './backfill';

/** entries.list's quota per project and its largest page. */
export const ENTRIES_LIST_REQUESTS_PER_MINUTE = 60;
export const ENTRIES_LIST_MAX_PAGE_SIZE = 1000;

export interface ListEntriesRequest {
  resourceNames: string[];
  filter: string;
  orderBy: string;
  pageSize: number;
  pageToken?: string;
}

/** One page as the client returns it: entries as plain objects (protobuf toObject form). */
export interface ListEntriesPage {
  entries: unknown[];
  nextPageToken: string | null;
}

export type ListEntries = (request: ListEntriesRequest) => Promise<ListEntriesPage>;

/** Where to read: one of project, folder, organization; optionally a log bucket's view. */
export interface LoggingScope {
  kind: 'projects' | 'folders' | 'organizations';
  id: string;
  bucket?: { location: string; bucket: string; view: string };
}

/** The resourceName entries.list reads: `projects/P`, or `projects/P/locations/L/buckets/B/views/V`. */
export function resourceNameOf(scope: LoggingScope): string {
  const base = `${scope.kind}/${scope.id}`;
  const b = scope.bucket;
  return b ? `${base}/locations/${b.location}/buckets/${b.bucket}/views/${b.view}` : base;
}

/**
 * The filter: the resource type, and `timestamp` from the start of `from` (or the checkpoint,
 * inclusive) to the end of `to` (both days, UTC).
 */
export function buildFilter(from: string, to: string, since: string | null): string {
  const end = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString();
  const start = since ?? `${from}T00:00:00Z`;
  return [
    `resource.type="${GEMINI_RESOURCE_TYPE}"`,
    `timestamp>="${start}"`,
    `timestamp<"${end.replace('.000Z', 'Z')}"`,
  ].join(' AND ');
}

/** True for a quota or availability error worth waiting for (gRPC codes 8 and 14, HTTP 429/503). */
export function isRetryableListError(err: unknown): boolean {
  const e = err as { code?: unknown; status?: unknown; message?: unknown } | null;
  const code = e?.code;
  if (code === 8 || code === 14 || code === 429 || code === 503) return true;
  const text = `${String(e?.status ?? '')} ${String(e?.message ?? '')}`;
  return /RESOURCE_EXHAUSTED|UNAVAILABLE|Too Many Requests|quota/i.test(text);
}

// ---------------------------------------------------------------------------------------------
// LogEntry plain objects (protobuf toObject form) -> the LogEntry JSON the sink writes.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Timestamp as proto3 JSON writes it: RFC 3339, Z, 0, 3, 6 or 9 fractional digits. */
export function timestampJson(t: unknown): string | null {
  if (typeof t === 'string') return t;
  if (!isObj(t)) return null;
  const seconds = Number(t.seconds ?? 0);
  const nanos = Number(t.nanos ?? 0);
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) return null;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${base}Z`;
  const digits = String(nanos).padStart(9, '0');
  const frac =
    nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1000 === 0 ? digits.slice(0, 6) : digits;
  return `${base}.${frac}Z`;
}

/** A google.protobuf.Value (toObject form, `kind` naming the set field) as JSON. */
function valueJson(v: unknown): unknown {
  if (!isObj(v)) return v ?? null;
  switch (v.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return v.numberValue;
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return structJson(v.structValue);
    case 'listValue':
      return (
        isObj(v.listValue) && Array.isArray(v.listValue.values) ? v.listValue.values : []
      ).map(valueJson);
    default:
      return null;
  }
}

/** A google.protobuf.Struct (toObject form) as a JSON object. */
export function structJson(s: unknown): Obj {
  const out: Obj = {};
  const fields = isObj(s) && isObj(s.fields) ? s.fields : {};
  for (const [k, v] of Object.entries(fields)) out[k] = valueJson(v);
  return out;
}

function nonEmptyMap(v: unknown): Obj | undefined {
  return isObj(v) && Object.keys(v).length > 0 ? { ...v } : undefined;
}

/**
 * The LogEntry JSON of an entries.list result: the fields Gemini's logs carry, in the sink's
 * proto3 JSON form (timestamps exactly as the sink writes them, so entry keys match the live
 * path). Fields at their default are left out, as in proto3 JSON. protoPayload is not decoded
 * (Gemini's logs use jsonPayload): an entry carrying one is kept without it and quarantined.
 */
export function logEntryJson(entry: unknown): Obj {
  const e = isObj(entry) ? entry : {};
  const out: Obj = {};
  const str = (k: string) => {
    if (typeof e[k] === 'string' && e[k] !== '') out[k] = e[k];
  };
  str('insertId');
  if (e.payload === 'jsonPayload' || (e.payload === undefined && isObj(e.jsonPayload))) {
    out.jsonPayload = structJson(e.jsonPayload);
  } else if (typeof e.textPayload === 'string' && e.textPayload !== '') {
    out.textPayload = e.textPayload;
  }
  if (isObj(e.resource)) {
    const labels = nonEmptyMap(e.resource.labels);
    out.resource = { type: e.resource.type, ...(labels ? { labels } : {}) };
  }
  const ts = timestampJson(e.timestamp);
  if (ts) out.timestamp = ts;
  if (typeof e.severity === 'string' && e.severity !== 'DEFAULT') out.severity = e.severity;
  const labels = nonEmptyMap(e.labels);
  if (labels) out.labels = labels;
  str('logName');
  str('trace');
  str('spanId');
  if (e.traceSampled === true) out.traceSampled = true;
  const received = timestampJson(e.receiveTimestamp);
  if (received) out.receiveTimestamp = received;
  return out;
}

// ---------------------------------------------------------------------------------------------

export interface LoggingSourceOptions {
  list: ListEntries;
  scopes: LoggingScope[];
  from: string;
  to: string;
  pageSize?: number;
  requestsPerMinute?: number;
  /** First backoff after a 429 (doubles each time, with jitter); default 2 s. */
  backoffMs?: number;
  /** Retries of one request before giving up; default 8 (about 8 minutes of waiting). */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Called when a request is retried after `waitMs`. */
  onRetry?: (err: unknown, waitMs: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A BackfillSource reading entries.list in ascending timestamp order (see the module comment). */
export function loggingSource(opts: LoggingSourceOptions): BackfillSource {
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const spacing = 60_000 / (opts.requestsPerMinute ?? ENTRIES_LIST_REQUESTS_PER_MINUTE);
  const backoff = opts.backoffMs ?? 2000;
  const maxRetries = opts.maxRetries ?? 8;
  const pageSize = Math.min(
    opts.pageSize ?? ENTRIES_LIST_MAX_PAGE_SIZE,
    ENTRIES_LIST_MAX_PAGE_SIZE,
  );
  const resourceNames = opts.scopes.map(resourceNameOf);
  let last = Number.NEGATIVE_INFINITY;

  async function call(request: ListEntriesRequest): Promise<ListEntriesPage> {
    for (let attempt = 0; ; attempt++) {
      const wait = last + spacing - now();
      if (wait > 0) await sleep(wait);
      last = now();
      try {
        return await opts.list(request);
      } catch (err) {
        if (!isRetryableListError(err) || attempt >= maxRetries) throw err;
        const ms = Math.round(backoff * 2 ** attempt * (0.5 + Math.random() / 2));
        opts.onRetry?.(err, ms);
        await sleep(ms);
      }
    }
  }

  return async function* (checkpoint) {
    const filter = buildFilter(opts.from, opts.to, checkpoint);
    let pageToken: string | undefined;
    let position = checkpoint;
    for (;;) {
      const page = await call({
        resourceNames,
        filter,
        orderBy: 'timestamp asc',
        pageSize,
        ...(pageToken ? { pageToken } : {}),
      });
      const records: RawRecord[] = [];
      for (const entry of page.entries) {
        const json = logEntryJson(entry);
        if (typeof json.timestamp === 'string') position = json.timestamp;
        records.push({
          text: JSON.stringify(json),
          source: `logging:${String(json.logName ?? '')}#${String(json.insertId ?? '')}`,
        });
      }
      if (records.length > 0 || page.nextPageToken) {
        yield { records, checkpoint: position ?? `${opts.from}T00:00:00Z` } satisfies BackfillPage;
      }
      if (!page.nextPageToken) return;
      pageToken = page.nextPageToken;
    }
  };
}
