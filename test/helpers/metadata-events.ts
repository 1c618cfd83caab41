/**
 * Builders of raw rows for warehouse and metric tests, inserted straight through
 * `Warehouse.insertRaw` (no normalizer involved). Keys are derived from the fields, so the same
 * builder call twice is a redelivery of the same log entry.
 */
import { createHash } from 'node:crypto';
import type {
  MetadataEventRow,
  MetadataEventType,
  QuarantineRow,
  RequestRow,
  ResponseRow,
} from '../../shared/tables/registry';
import type { RawBatch } from '../../shared/warehouse/port';

const METADATA_LOG = 'projects/p/logs/cloudaicompanion.googleapis.com%2Fmetadata';

function key(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url');
}

/** `2025-10-08T10:00:00Z` or `2025-10-08T10:00:00.5Z` -> `2025-10-08T10:00:00.500000Z`. */
export function ts(iso: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) throw new Error(`bad test timestamp ${iso}`);
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

export interface EventSpec {
  type: MetadataEventType;
  /** originalRequestId (the suggestion id). */
  id?: string | null;
  at: string;
  user?: string | null;
  language?: string | null;
  client?: string | null;
  product?: string | null;
  lines?: number | null;
  commentLines?: number | null;
  agentic?: boolean | null;
  /** When the row was written; defaults to `at`. */
  ingestedAt?: string;
  insertId?: string;
  requestId?: string | null;
}

/** One metadata_events row. */
export function makeMetadataEvent(spec: EventSpec): MetadataEventRow {
  const insertId = spec.insertId ?? key([spec.type, spec.id ?? '', spec.at]).slice(0, 16);
  const at = ts(spec.at);
  return {
    entry_key: key([METADATA_LOG, at, insertId]),
    log_name: METADATA_LOG,
    insert_id: insertId,
    event_timestamp: at,
    receive_timestamp: at,
    ingest_time: ts(spec.ingestedAt ?? spec.at),
    project_id: 'p',
    location: 'global',
    instance_id: 'default',
    user_id: spec.user === undefined ? 'alice@example.com' : spec.user,
    product: spec.product === undefined ? 'code_assist' : spec.product,
    method: null,
    client_name: spec.client === undefined ? 'VSCode' : spec.client,
    client_version: '1.0',
    request_id: spec.requestId ?? null,
    event_id: insertId,
    event_type: spec.type,
    original_request_id: spec.id === undefined ? 'r1' : spec.id,
    programming_language: spec.language === undefined ? 'python' : spec.language,
    lines_count: spec.lines ?? null,
    comment_lines_count: spec.commentLines ?? null,
    interaction_type: null,
    is_agentic: spec.agentic ?? null,
    payload: JSON.stringify({ requestId: insertId }),
  };
}

/** The columns a request and a response row share, for one request id at one time. */
function logColumns(log: 'request' | 'response', requestId: string, at: string) {
  const logName = `projects/p/logs/cloudaicompanion.googleapis.com%2F${log}`;
  const t = ts(at);
  return {
    entry_key: key([logName, t, requestId]),
    log_name: logName,
    insert_id: requestId,
    event_timestamp: t,
    receive_timestamp: t,
    ingest_time: t,
    project_id: 'p',
    location: 'global',
    instance_id: 'default',
    user_id: 'alice@example.com',
    product: 'code_assist',
    method: 'CompleteTask',
    client_name: 'VSCode',
    client_version: '1.0',
  };
}

// One builder per raw table: alike by shape (defaults, then the overrides).
/** A request row for a request id. */
export function makeRequest(
  over: Partial<RequestRow> & { request_id: string; at: string },
): RequestRow {
  const { at, ...rest } = over;
  return {
    ...logColumns('request', over.request_id, at),
    request_kind: 'task_completion',
    prompt_text: 'hello',
    preamble: null,
    message_count: 1,
    prompt_chars: 5,
    context_files: [],
    tool_results: [],
    payload: JSON.stringify({ input: { messages: [] } }),
    content_mode: 'full',
    ...rest,
  };
}

/** A response row for a request id. */
export function makeResponse(
  over: Partial<ResponseRow> & { request_id: string; at: string },
): ResponseRow {
  const { at, ...rest } = over;
  return {
    ...logColumns('response', over.request_id, at),
    response_kind: 'task_completion',
    response_text: 'hi',
    message_count: 1,
    response_chars: 2,
    tool_calls: [],
    attribution: null,
    payload: null,
    content_mode: 'full',
    ...rest,
  };
}

/** A quarantine row. */
export function makeQuarantine(over: Partial<QuarantineRow> = {}): QuarantineRow {
  return {
    quarantine_id: key(['q', over.raw ?? 'x', over.reason ?? 'invalid_json']),
    quarantine_time: ts('2025-10-08T10:00:00Z'),
    source: 'file:test.json#1',
    message_id: null,
    insert_id: null,
    reason: 'invalid_json',
    detail: 'Unexpected token',
    raw: 'x',
    raw_bytes: 1,
    ...over,
  };
}

/** A batch holding only the given rows. */
export function batchOf(parts: Partial<RawBatch>): RawBatch {
  return {
    requests: parts.requests ?? [],
    responses: parts.responses ?? [],
    metadata_events: parts.metadata_events ?? [],
    quarantine: parts.quarantine ?? [],
  };
}

/** A batch of metadata events built from specs. */
export function eventsBatch(specs: EventSpec[]): RawBatch {
  return batchOf({ metadata_events: specs.map(makeMetadataEvent) });
}
