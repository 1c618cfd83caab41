/**
 * Normalization: one Cloud Logging entry in, exactly one outcome out (a row for requests,
 * responses or metadata_events; skipped; or quarantined with a stable reason). Pure and total:
 * whatever the input (garbage, hostile nesting, throwing getters), it returns, never throws.
 *
 * Rows carry full content and `content_mode` from the context; the ingest pipeline then applies
 * the content policy and pseudonymization (shared/pipeline/ingest.ts).
 */
import type { z } from 'zod';
import {
  GEMINI_RESOURCE_TYPE,
  GEMINI_LOGS,
  LogEntrySchema,
  PAYLOAD_TYPES,
  type GeminiLog,
  type LogEntry,
} from '../schemas/log-entry';
import {
  METADATA_COMMON_KEYS,
  METADATA_EVENT_KINDS,
  MetadataEventBodySchema,
  MetadataLogSchema,
  type MetadataEventBody,
  type MetadataEventKey,
} from '../schemas/metadata-log';
import {
  REQUEST_KINDS,
  RequestBodySchema,
  RequestLogSchema,
  type FileStates,
  type Message,
  type RequestBody,
  type RequestKind,
} from '../schemas/request-log';
import {
  RESPONSE_KINDS,
  ResponseBodySchema,
  ResponseLogSchema,
  type ResponseBody,
  type ResponseKind,
} from '../schemas/response-log';
import { toBool, toInt64 } from '../schemas/scalars';
import type {
  MetadataEventRow,
  MetadataEventType,
  QuarantineReason,
  RequestRow,
  ResponseRow,
} from '../tables/registry';
import { parseToolCall, parseToolResult } from './agent';
import { entryKey } from './entry-key';
import {
  isLogEntryFast,
  isMetadataLogFast,
  isRequestLogFast,
  isResponseLogFast,
} from './fast-path';
import { findPayloadText, nestsDeeperThan, type JsonSlice } from './payload-text';
import type { NormalizeContext, NormalizeOutcome } from './outcome';
import { tryMicrosIso } from './time';

/**
 * Largest entry accepted, in bytes of JSON text (4 MiB). A row stores the payload *and* the text
 * extracted from it (about twice the entry), and BigQuery refuses rows (and insertAll requests)
 * over 10 MB. Cloud Logging caps entries at 256 KB, so only hand-made inputs come near it.
 */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/**
 * Deepest nesting of a payload accepted (objects and arrays). Gemini payloads nest about 8
 * levels; BigQuery's JSON type allows 500; the content policy and JSON.stringify recurse, so a
 * hostile payload nested 100,000 deep must stop here rather than overflow the stack there.
 */
export const MAX_PAYLOAD_DEPTH = 100;

/** Longest value quoted in a quarantine detail (details must stay short and content-free). */
const DETAIL_VALUE_CHARS = 80;

type Row = RequestRow | ResponseRow | MetadataEventRow;
type Quarantined = Extract<NormalizeOutcome, { kind: 'quarantined' }>;

function quarantine(
  reason: QuarantineReason,
  detail: string,
  insertId: string | null = null,
): Quarantined {
  return { kind: 'quarantined', reason, detail, insertId };
}

/**
 * Validates with the schema, unless the fast guard already accepts the value (see fast-path.ts:
 * the guards accept only what the schemas accept, and the schemas transform nothing).
 */
function check<S extends z.ZodType<Record<string, unknown>>>(
  value: Record<string, unknown>,
  fast: (v: Record<string, unknown>) => v is z.output<S>,
  schema: S,
): z.ZodSafeParseResult<z.output<S>> {
  if (fast(value)) return { success: true, data: value };
  return schema.safeParse(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function quote(value: string): string {
  const short =
    value.length > DETAIL_VALUE_CHARS ? `${value.slice(0, DETAIL_VALUE_CHARS)}...` : value;
  return JSON.stringify(short);
}

type Issue = z.core.$ZodIssue;

/**
 * The most telling issue: for a union that failed (`output` is an object or a string), the
 * issue of the alternative that got deepest, so the detail names the actual field.
 */
function deepestIssue(issue: Issue): { issue: Issue; path: PropertyKey[] } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
    return { issue, path: issue.path };
  }
  let best: { issue: Issue; path: PropertyKey[] } = { issue, path: issue.path };
  for (const alternative of issue.errors) {
    for (const inner of alternative) {
      const found = deepestIssue(inner);
      if (found.path.length + issue.path.length > best.path.length) {
        best = { issue: found.issue, path: [...issue.path, ...found.path] };
      }
    }
  }
  return best;
}

/** `a.b[0].c: message` for the first zod issue, prefixed with where the object sits. */
function describeIssue(error: z.ZodError, prefix: string): { path: string; detail: string } {
  const first = error.issues[0];
  if (!first) return { path: prefix, detail: `${prefix}: invalid` };
  const { issue, path: parts } = deepestIssue(first);
  let path = prefix;
  for (const p of parts) {
    path += typeof p === 'number' ? `[${p}]` : `${path ? '.' : ''}${String(p)}`;
  }
  return { path, detail: `${path || '(entry)'}: ${issue.message}` };
}

/** Which Gemini log a logName names, by its last segment (`%2Frequest`, or an unescaped `/`). */
export function classifyLogName(logName: string): GeminiLog | null {
  const len = logName.length;
  for (const log of GEMINI_LOGS) {
    if (!logName.endsWith(log)) continue;
    const at = len - log.length; // index of the log's first letter
    if (logName.charCodeAt(at - 1) === 0x2f /* / */) return log;
    if (
      logName.charCodeAt(at - 3) === 0x25 /* % */ &&
      logName.charCodeAt(at - 2) === 0x32 /* 2 */ &&
      (logName.charCodeAt(at - 1) | 0x20) === 0x66 /* f or F */
    ) {
      return log;
    }
  }
  return null;
}

/**
 * Programming languages are trimmed and lower-cased (`Python` and `python` are one language in
 * every figure); empty means not given (null).
 */
export function normalizeLanguage(value: string | null | undefined): string | null {
  if (value == null) return null;
  const v = value.trim().toLowerCase();
  return v === '' ? null : v;
}

/** The extension of a file path, lower-cased, without the dot; null for none or a dotfile. */
export function extensionOf(path: string | null | undefined): string | null {
  if (!path) return null;
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return null;
  return base.slice(dot + 1).toLowerCase();
}

function toStates(states: FileStates | null | undefined): string[] {
  if (states == null) return [];
  return typeof states === 'string' ? [states] : states;
}

function nonEmpty(v: string | null | undefined): string | null {
  return v == null || v === '' ? null : v;
}

// Module state on purpose: a one-slot memo of a pure function (same input, same output), so it
// cannot change a result; it spares the conversion on every entry, which all share one ingestTime.
let lastIngestTimeIn = '';
let lastIngestTimeOut = '';
/** ctx.ingestTime in the warehouse format; cached, since every entry of a run shares it. */
function ingestTimeOf(ctx: NormalizeContext): string | null {
  if (ctx.ingestTime !== lastIngestTimeIn) {
    const out = tryMicrosIso(ctx.ingestTime);
    if (out === null) return null;
    lastIngestTimeIn = ctx.ingestTime;
    lastIngestTimeOut = out;
  }
  return lastIngestTimeOut;
}

/**
 * A non-empty string of the payload's top level, else null. The columns every raw table shares
 * come from the envelope's labels first, then from these payload fields.
 */
function payloadString(payload: Record<string, unknown>, key: string): string | null {
  const v = payload[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The timestamps of a row, in the warehouse format. */
interface Stamps {
  event: string;
  receive: string | null;
  ingest: string;
}

/** The first of `keys` present (not null) in a payload: its kind. */
function firstKnownKey<K extends string>(
  payload: Partial<Record<K, unknown>>,
  keys: readonly K[],
): K | null {
  for (const k of keys) {
    if (payload[k] !== undefined && payload[k] !== null) return k;
  }
  return null;
}

/** For a payload of an unknown kind: the first object under a key not in `ignore`. */
function firstOtherObject(payload: Record<string, unknown>, ignore: readonly string[]): unknown {
  for (const k of Object.keys(payload)) {
    if (ignore.includes(k)) continue;
    const v = payload[k];
    if (isPlainObject(v)) return v;
  }
  return undefined;
}

/**
 * A payload's kind and body: the body under the first of `keys` present, with its kind from
 * `kinds`; else (a kind not known yet: 'unknown') the first other object, as far as `lenient`
 * reads it (the fields it shares with the known kinds), ignoring the top-level keys `ignore`.
 */
function kindAndBody<K extends string, Kind extends string, B>(
  payload: Partial<Record<K, B | null>> & Record<string, unknown>,
  keys: readonly K[],
  kinds: Readonly<Record<K, Kind>>,
  lenient: z.ZodType<B>,
  ignore: readonly string[],
): { kind: Kind | 'unknown'; body: B | null } {
  const key = firstKnownKey(payload, keys);
  if (key !== null) return { kind: kinds[key], body: payload[key] ?? null };
  const read = lenient.safeParse(firstOtherObject(payload, ignore));
  return { kind: 'unknown', body: read.success ? read.data : null };
}

function invalidPayload(error: z.ZodError, insertId: string | null): Quarantined {
  return quarantine('invalid_payload', describeIssue(error, 'jsonPayload').detail, insertId);
}

const REQUEST_KEYS = Object.keys(REQUEST_KINDS) as (keyof typeof REQUEST_KINDS)[];
const RESPONSE_KEYS = Object.keys(RESPONSE_KINDS) as (keyof typeof RESPONSE_KINDS)[];
const METADATA_KEYS = Object.keys(METADATA_EVENT_KINDS) as MetadataEventKey[];
const NOT_AN_EVENT: readonly string[] = METADATA_COMMON_KEYS;
const TYPE_KEY_ONLY: readonly string[] = ['@type'];
const RESPONSE_IGNORE: readonly string[] = ['@type', 'attribution_context', 'attributionContext'];

function messageText(m: Message): string {
  return m.content ?? '';
}

function normalizeRequest(
  e: LogEntry,
  payload: Record<string, unknown>,
  t: Stamps,
  ctx: NormalizeContext,
  payloadJson: string,
): NormalizeOutcome {
  const parsed = check(payload, isRequestLogFast, RequestLogSchema);
  if (!parsed.success) return invalidPayload(parsed.error, e.insertId ?? null);
  const { kind, body } = kindAndBody<keyof typeof REQUEST_KINDS, RequestKind, RequestBody>(
    parsed.data,
    REQUEST_KEYS,
    REQUEST_KINDS,
    RequestBodySchema,
    TYPE_KEY_ONLY,
  );

  const messages = body?.input?.messages ?? [];
  const promptParts: string[] = [];
  const toolResults: RequestRow['tool_results'] = [];
  let promptChars = 0;
  for (const m of messages) {
    const text = messageText(m);
    promptChars += text.length;
    const result = parseToolResult(text);
    if (result) toolResults.push(result);
    else if (text !== '') promptParts.push(text);
  }

  const context = body?.input_data_context ?? body?.inputDataContext;
  const files = (context?.additional_context ?? context?.additionalContext)?.files ?? [];
  const contextFiles: RequestRow['context_files'] = [];
  for (const f of files) {
    let chars = 0;
    for (const s of f.segments ?? []) chars += s.content?.length ?? 0;
    promptChars += chars;
    contextFiles.push({
      path: nonEmpty(f.path),
      extension: extensionOf(f.path),
      language: normalizeLanguage(f.language),
      states: toStates(f.state ?? f.states),
      chars,
    });
  }

  const row: RequestRow = {
    // The envelope columns repeat in the request, response and metadata literals on purpose:
    // spelled out, not spread or copied from a shared object, a literal of fixed shape is much
    // cheaper to build (measured).
    entry_key: entryKey(e.logName, e.timestamp, e.insertId),
    log_name: e.logName,
    insert_id: e.insertId ?? null,
    event_timestamp: t.event,
    receive_timestamp: t.receive,
    ingest_time: t.ingest,
    project_id: nonEmpty(e.resource?.labels?.resource_container),
    location: nonEmpty(e.resource?.labels?.location),
    instance_id: nonEmpty(e.resource?.labels?.instance_id),
    user_id: nonEmpty(e.labels?.user_id),
    product: nonEmpty(e.labels?.product),
    method: nonEmpty(e.labels?.method),
    client_name: nonEmpty(e.labels?.client_name) ?? payloadString(payload, 'clientName'),
    client_version: nonEmpty(e.labels?.client_version) ?? payloadString(payload, 'clientVersion'),
    request_id: nonEmpty(e.labels?.request_id) ?? payloadString(payload, 'requestId'),
    request_kind: kind,
    prompt_text: promptParts.length > 0 ? promptParts.join('\n\n') : null,
    preamble: body?.input?.preamble ?? null,
    message_count: messages.length,
    prompt_chars: promptChars,
    context_files: contextFiles,
    tool_results: toolResults,
    payload: payloadJson,
    content_mode: ctx.contentMode,
  };
  return { kind: 'request', row };
}

function normalizeResponse(
  e: LogEntry,
  payload: Record<string, unknown>,
  t: Stamps,
  ctx: NormalizeContext,
  payloadJson: string,
): NormalizeOutcome {
  const parsed = check(payload, isResponseLogFast, ResponseLogSchema);
  if (!parsed.success) return invalidPayload(parsed.error, e.insertId ?? null);
  const p = parsed.data;
  const { kind, body } = kindAndBody<keyof typeof RESPONSE_KINDS, ResponseKind, ResponseBody>(
    p,
    RESPONSE_KEYS,
    RESPONSE_KINDS,
    ResponseBodySchema,
    RESPONSE_IGNORE,
  );

  const output = body?.output;
  const messages: Message[] =
    typeof output === 'string' ? [{ content: output }] : (output?.messages ?? []);
  const textParts: string[] = [];
  const toolCalls: ResponseRow['tool_calls'] = [];
  let responseChars = 0;
  for (const m of messages) {
    const text = messageText(m);
    responseChars += text.length;
    const call = parseToolCall(text);
    if (call) toolCalls.push(call);
    else if (text !== '') textParts.push(text);
  }

  const outputObject = typeof output === 'object' && output !== null ? output : null;
  const attribution =
    outputObject?.attribution_context ??
    outputObject?.attributionContext ??
    body?.attribution_context ??
    body?.attributionContext ??
    p.attribution_context ??
    p.attributionContext ??
    null;

  const row: ResponseRow = {
    // The envelope columns repeat in the request, response and metadata literals on purpose:
    // spelled out, not spread or copied from a shared object, a literal of fixed shape is much
    // cheaper to build (measured).
    entry_key: entryKey(e.logName, e.timestamp, e.insertId),
    log_name: e.logName,
    insert_id: e.insertId ?? null,
    event_timestamp: t.event,
    receive_timestamp: t.receive,
    ingest_time: t.ingest,
    project_id: nonEmpty(e.resource?.labels?.resource_container),
    location: nonEmpty(e.resource?.labels?.location),
    instance_id: nonEmpty(e.resource?.labels?.instance_id),
    user_id: nonEmpty(e.labels?.user_id),
    product: nonEmpty(e.labels?.product),
    method: nonEmpty(e.labels?.method),
    client_name: nonEmpty(e.labels?.client_name) ?? payloadString(payload, 'clientName'),
    client_version: nonEmpty(e.labels?.client_version) ?? payloadString(payload, 'clientVersion'),
    request_id: nonEmpty(e.labels?.request_id) ?? payloadString(payload, 'requestId'),
    response_kind: kind,
    response_text: textParts.length > 0 ? textParts.join('\n\n') : null,
    message_count: messages.length,
    response_chars: responseChars,
    tool_calls: toolCalls,
    // Citations are small; a nesting too deep to serialize was caught with the payload already.
    attribution: attribution === null ? null : JSON.stringify(attribution),
    payload: payloadJson,
    content_mode: ctx.contentMode,
  };
  return { kind: 'response', row };
}

function normalizeMetadata(
  e: LogEntry,
  payload: Record<string, unknown>,
  t: Stamps,
  payloadJson: string,
): NormalizeOutcome {
  const parsed = check(payload, isMetadataLogFast, MetadataLogSchema);
  if (!parsed.success) return invalidPayload(parsed.error, e.insertId ?? null);
  const p = parsed.data;
  // A kind not known yet keeps the fields it shares with the known ones; it is stored as
  // 'unknown' either way, so a field of an unexpected type is dropped, not quarantined.
  const { kind: eventType, body: event } = kindAndBody<
    MetadataEventKey,
    MetadataEventType,
    MetadataEventBody
  >(p, METADATA_KEYS, METADATA_EVENT_KINDS, MetadataEventBodySchema, NOT_AN_EVENT);

  const agentic = event?.is_agentic ?? event?.isAgentic;
  const row: MetadataEventRow = {
    // The envelope columns repeat in the request, response and metadata literals on purpose:
    // spelled out, not spread or copied from a shared object, a literal of fixed shape is much
    // cheaper to build (measured).
    entry_key: entryKey(e.logName, e.timestamp, e.insertId),
    log_name: e.logName,
    insert_id: e.insertId ?? null,
    event_timestamp: t.event,
    receive_timestamp: t.receive,
    ingest_time: t.ingest,
    project_id: nonEmpty(e.resource?.labels?.resource_container),
    location: nonEmpty(e.resource?.labels?.location),
    instance_id: nonEmpty(e.resource?.labels?.instance_id),
    user_id: nonEmpty(e.labels?.user_id),
    product: nonEmpty(e.labels?.product),
    method: nonEmpty(e.labels?.method),
    client_name: nonEmpty(e.labels?.client_name) ?? payloadString(payload, 'clientName'),
    client_version: nonEmpty(e.labels?.client_version) ?? payloadString(payload, 'clientVersion'),
    request_id: nonEmpty(e.labels?.request_id) ?? payloadString(payload, 'requestId'),
    event_id: nonEmpty(p.requestId),
    event_type: eventType,
    original_request_id: nonEmpty(event?.originalRequestId),
    programming_language: normalizeLanguage(event?.programmingLanguage),
    lines_count: event?.linesCount != null ? toInt64(event.linesCount) : null,
    comment_lines_count: event?.commentLinesCount != null ? toInt64(event.commentLinesCount) : null,
    interaction_type: nonEmpty(event?.interactionType),
    is_agentic: agentic != null ? toBool(agentic) : null,
    payload: payloadJson,
  };
  return { kind: 'metadata', row };
}

/** Reads insertId from anything, for a quarantine row; never throws. */
function insertIdOf(entry: unknown): string | null {
  try {
    if (isPlainObject(entry) && typeof entry.insertId === 'string') return entry.insertId;
  } catch {
    // A throwing getter: no insertId then.
  }
  return null;
}

function payloadTypeMatches(type: string, log: GeminiLog): boolean {
  if (type === PAYLOAD_TYPES[log]) return true;
  // Tolerate a new API version (v1 -> v2): compare the message name only.
  const expected = PAYLOAD_TYPES[log].slice(PAYLOAD_TYPES[log].lastIndexOf('.'));
  return (
    type.startsWith('type.googleapis.com/google.cloud.cloudaicompanion.') && type.endsWith(expected)
  );
}

function normalizeUnchecked(
  entry: unknown,
  ctx: NormalizeContext,
  payloadText: JsonSlice | null,
): NormalizeOutcome {
  if (!isPlainObject(entry)) {
    return quarantine('not_an_object', `the entry is ${describeType(entry)}, not a JSON object`);
  }
  const resource = entry.resource;
  if (isPlainObject(resource) && typeof resource.type === 'string') {
    if (resource.type !== GEMINI_RESOURCE_TYPE) {
      return {
        kind: 'skipped',
        reason: 'foreign_resource',
        detail: `resource.type ${quote(resource.type)}`,
      };
    }
  }

  const parsed = check(entry, isLogEntryFast, LogEntrySchema);
  if (!parsed.success) {
    const { path, detail } = describeIssue(parsed.error, '');
    const reason =
      path.startsWith('timestamp') || path.startsWith('receiveTimestamp')
        ? 'invalid_timestamp'
        : 'invalid_envelope';
    return quarantine(reason, detail, insertIdOf(entry));
  }
  const e = parsed.data;
  const insertId = e.insertId ?? null;

  const eventTimestamp = tryMicrosIso(e.timestamp);
  if (eventTimestamp === null) {
    return quarantine(
      'invalid_timestamp',
      `timestamp: ${quote(e.timestamp)} is not an RFC 3339 timestamp`,
      insertId,
    );
  }
  let receiveTimestamp: string | null = null;
  if (e.receiveTimestamp != null) {
    receiveTimestamp = tryMicrosIso(e.receiveTimestamp);
    if (receiveTimestamp === null) {
      return quarantine(
        'invalid_timestamp',
        `receiveTimestamp: ${quote(e.receiveTimestamp)} is not an RFC 3339 timestamp`,
        insertId,
      );
    }
  }
  const ingestTime = ingestTimeOf(ctx);
  if (ingestTime === null) {
    // A caller bug, not bad input; still an outcome rather than a throw.
    return quarantine(
      'invalid_envelope',
      `ingestTime ${quote(ctx.ingestTime)} is invalid`,
      insertId,
    );
  }

  const log = classifyLogName(e.logName);
  if (log === null) {
    return quarantine(
      'unknown_log',
      `logName ${quote(e.logName)} is not a Gemini request, response or metadata log`,
      insertId,
    );
  }

  // Read from the input, not the zod copy: what is stored is the payload exactly as received.
  const payload = entry.jsonPayload;
  if (!isPlainObject(payload)) {
    return quarantine(
      'invalid_payload',
      'jsonPayload: missing (Gemini logs are JSON payloads, not text or proto payloads)',
      insertId,
    );
  }
  const type = payload['@type'];
  if (type !== undefined && type !== null) {
    if (typeof type !== 'string' || !payloadTypeMatches(type, log)) {
      return quarantine(
        'type_mismatch',
        `jsonPayload.@type ${typeof type === 'string' ? quote(type) : describeType(type)} ` +
          `does not match the ${log} log named by logName`,
        insertId,
      );
    }
  }

  const tooDeep = payloadText
    ? payloadText.depth > MAX_PAYLOAD_DEPTH
    : nestsDeeperThan(payload, MAX_PAYLOAD_DEPTH);
  if (tooDeep) {
    return quarantine(
      'invalid_payload',
      `jsonPayload: nested deeper than ${MAX_PAYLOAD_DEPTH} levels`,
      insertId,
    );
  }
  let payloadJson: string;
  try {
    // Pretty-printed input (a gcloud export) is stored compact, like every other input, so the
    // same entry gives the same payload whichever way it arrived.
    payloadJson =
      payloadText !== null && !payloadText.text.includes('\n')
        ? payloadText.text
        : JSON.stringify(payload);
  } catch {
    return quarantine(
      'invalid_payload',
      'jsonPayload: holds a value JSON cannot represent',
      insertId,
    );
  }
  if (payloadJson.length > MAX_ENTRY_BYTES) {
    return quarantine(
      'too_large',
      `jsonPayload: ${payloadJson.length} characters; the limit is ${MAX_ENTRY_BYTES} bytes`,
      insertId,
    );
  }

  const t: Stamps = { event: eventTimestamp, receive: receiveTimestamp, ingest: ingestTime };
  switch (log) {
    case 'request':
      return normalizeRequest(e, payload, t, ctx, payloadJson);
    case 'response':
      return normalizeResponse(e, payload, t, ctx, payloadJson);
    case 'metadata':
      return normalizeMetadata(e, payload, t, payloadJson);
  }
}

/**
 * Normalizes one log entry (already parsed JSON) into exactly one outcome: a row (full content,
 * `content_mode` from ctx), skipped (another resource type) or quarantined (a reason from
 * QUARANTINE_REASONS and a detail naming the field). Pure; never throws, whatever `entry` is.
 */
export function normalizeEntry(entry: unknown, ctx: NormalizeContext): NormalizeOutcome {
  return normalizeGuarded(entry, ctx, null);
}

function normalizeGuarded(
  entry: unknown,
  ctx: NormalizeContext,
  payloadText: JsonSlice | null,
): NormalizeOutcome {
  try {
    return normalizeUnchecked(entry, ctx, payloadText);
  } catch (err) {
    // Hostile objects (throwing getters, proxies) or stack exhaustion in a validator.
    const what = err instanceof RangeError ? 'nested too deeply' : 'unreadable value';
    return quarantine('invalid_envelope', `the entry cannot be read (${what})`, insertIdOf(entry));
  }
}

const INSERT_ID_SNIFF = /"insertId"\s*:\s*"([^"\\]{1,256})"/;
const SNIFF_CHARS = 8192;

/** insertId of a text that will not be parsed (too large), looked for near both ends. */
function sniffInsertId(text: string): string | null {
  const m =
    INSERT_ID_SNIFF.exec(text.slice(0, SNIFF_CHARS)) ??
    INSERT_ID_SNIFF.exec(text.slice(-SNIFF_CHARS));
  return m?.[1] ?? null;
}

/** UTF-8 size of a string, without encoding it when the length alone decides. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** JSON.parse's message without the quoted input V8 appends (it may hold prompt text). */
function describeJsonError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const head = message.split(/,\s*"/)[0] ?? message;
  const position = /position (\d+)/.exec(message);
  const where = position && !head.includes('position') ? ` at position ${position[1]}` : '';
  return `not valid JSON: ${head.slice(0, 120)}${where}`;
}

/**
 * Normalizes one entry given as JSON text (a line of an export, a Pub/Sub message): `too_large`
 * above MAX_ENTRY_BYTES (checked before parsing), `invalid_json` if it does not parse, else as
 * normalizeEntry. Never throws.
 */
export function normalizeText(text: string, ctx: NormalizeContext): NormalizeOutcome {
  if (typeof text !== 'string') return normalizeEntry(text, ctx);
  // Length in UTF-16 units <= UTF-8 bytes <= 3 * length: count bytes only when it matters.
  if (text.length * 3 > MAX_ENTRY_BYTES) {
    const bytes = text.length > MAX_ENTRY_BYTES ? text.length : utf8Bytes(text);
    if (bytes > MAX_ENTRY_BYTES) {
      return quarantine(
        'too_large',
        `entry of ${text.length > MAX_ENTRY_BYTES ? 'at least ' : ''}${bytes} bytes; ` +
          `the limit is ${MAX_ENTRY_BYTES} (BigQuery rows cannot exceed 10 MB)`,
        sniffInsertId(text),
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return quarantine('invalid_json', describeJsonError(err), null);
  }
  // The payload text as received, found in the text we already have, spares a JSON.stringify.
  const payloadText = isPlainObject(value) ? findPayloadText(text) : null;
  return normalizeGuarded(value, ctx, payloadText);
}

export type { Row as NormalizedRow };
