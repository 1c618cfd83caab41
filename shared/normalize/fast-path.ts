/**
 * Fast acceptance checks for the common case, in front of the zod schemas.
 *
 * The zod schemas in shared/schemas define the wire formats and decide every entry. Running
 * them on every entry, though, cost as much as JSON.parse itself (each optional field is a chain
 * of wrapper calls and result objects; measured with bench/normalize.ts and --cpu-prof). These
 * guards accept only values the schemas accept, with plain typeof checks; whatever they do not
 * accept goes through zod, which then accepts it (drift these guards do not cover) or explains
 * the rejection. Since the schemas transform nothing, the accepted value IS what zod would
 * output, so its inferred type applies. test/shared/normalize/fast-path.test.ts checks, for any
 * input, that a guard never accepts what its schema rejects.
 */
import type { LogEntry } from '../schemas/log-entry';
import { METADATA_EVENT_KINDS, type MetadataLog } from '../schemas/metadata-log';
import { REQUEST_KINDS, type RequestLog } from '../schemas/request-log';
import { RESPONSE_KINDS, type ResponseLog } from '../schemas/response-log';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Absent (undefined or null) or a string: `z.string().nullish()`. */
function optStr(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'string';
}

function absent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

const INT64_TEXT = /^\s*\d{1,15}\s*$/;

/** `Int64Schema.nullish()`. */
function optInt64(v: unknown): boolean {
  if (absent(v)) return true;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0;
  return typeof v === 'string' && INT64_TEXT.test(v);
}

/** `WireBoolSchema.nullish()`. */
function optBool(v: unknown): boolean {
  return (
    absent(v) ||
    typeof v === 'boolean' ||
    v === 'true' ||
    v === 'false' ||
    v === 'TRUE' ||
    v === 'FALSE'
  );
}

/** The LogEntry envelope (LogEntrySchema). */
export function isLogEntryFast(e: Obj): e is LogEntry {
  if (typeof e.logName !== 'string' || e.logName.length === 0) return false;
  if (typeof e.timestamp !== 'string') return false;
  if (!optStr(e.receiveTimestamp) || !optStr(e.insertId) || !optStr(e.severity)) return false;
  const r = e.resource;
  if (!absent(r)) {
    if (!isObj(r) || typeof r.type !== 'string') return false;
    const rl = r.labels;
    if (
      !absent(rl) &&
      !(isObj(rl) && optStr(rl.resource_container) && optStr(rl.location) && optStr(rl.instance_id))
    ) {
      return false;
    }
  }
  // The labels' fields in the order of EntryLabelsSchema: alike the other guards by shape only.
  const l = e.labels;
  if (
    !absent(l) &&
    !(
      isObj(l) &&
      optStr(l.user_id) &&
      optStr(l.product) &&
      optStr(l.method) &&
      optStr(l.request_id) &&
      optStr(l.client_name) &&
      optStr(l.client_version)
    )
  ) {
    return false;
  }
  return absent(e.jsonPayload) || isObj(e.jsonPayload);
}

/** `z.array(MessageSchema).nullish()`. */
function optMessages(v: unknown): boolean {
  if (absent(v)) return true;
  if (!Array.isArray(v)) return false;
  for (const m of v) if (!isObj(m) || !optStr(m.author) || !optStr(m.content)) return false;
  return true;
}

function optStates(v: unknown): boolean {
  if (absent(v) || typeof v === 'string') return true;
  if (!Array.isArray(v)) return false;
  for (const s of v) if (typeof s !== 'string') return false;
  return true;
}

function optAdditionalContext(v: unknown): boolean {
  if (absent(v)) return true;
  if (!isObj(v)) return false;
  const files = v.files;
  if (absent(files)) return true;
  if (!Array.isArray(files)) return false;
  for (const f of files) {
    if (!isObj(f) || !optStr(f.path) || !optStr(f.language)) return false;
    if (!optStates(f.state) || !optStates(f.states)) return false;
    const segs = f.segments;
    if (!absent(segs)) {
      if (!Array.isArray(segs)) return false;
      for (const s of segs) if (!isObj(s) || !optStr(s.content)) return false;
    }
  }
  return true;
}

function optInputDataContext(v: unknown): boolean {
  if (absent(v)) return true;
  return (
    isObj(v) &&
    optAdditionalContext(v.additional_context) &&
    optAdditionalContext(v.additionalContext)
  );
}

function optRequestBody(v: unknown): boolean {
  if (absent(v)) return true;
  if (!isObj(v)) return false;
  const input = v.input;
  if (!absent(input) && !(isObj(input) && optMessages(input.messages) && optStr(input.preamble))) {
    return false;
  }
  return optInputDataContext(v.input_data_context) && optInputDataContext(v.inputDataContext);
}

/** `@type` absent or a string, and each of `keys` absent or accepted by `body`. */
function typedBodies(p: Obj, keys: readonly string[], body: (v: unknown) => boolean): boolean {
  if (!optStr(p['@type'])) return false;
  for (const k of keys) if (!body(p[k])) return false;
  return true;
}

// The body keys the schemas know (the zod schemas list the same ones).
const REQUEST_BODIES = Object.keys(REQUEST_KINDS);
const RESPONSE_BODIES = Object.keys(RESPONSE_KINDS);
const METADATA_EVENTS = Object.keys(METADATA_EVENT_KINDS);

/** A request payload (RequestLogSchema). */
export function isRequestLogFast(p: Obj): p is RequestLog {
  return typedBodies(p, REQUEST_BODIES, optRequestBody);
}

function optAttribution(v: unknown): boolean {
  return absent(v) || typeof v === 'object';
}

function optResponseBody(v: unknown): boolean {
  if (absent(v)) return true;
  if (!isObj(v)) return false;
  const out = v.output;
  if (!absent(out) && typeof out !== 'string') {
    if (!isObj(out) || !optMessages(out.messages)) return false;
    if (!optAttribution(out.attribution_context) || !optAttribution(out.attributionContext)) {
      return false;
    }
  }
  return optAttribution(v.attribution_context) && optAttribution(v.attributionContext);
}

/** A response payload (ResponseLogSchema). */
export function isResponseLogFast(p: Obj): p is ResponseLog {
  return (
    typedBodies(p, RESPONSE_BODIES, optResponseBody) &&
    optAttribution(p.attribution_context) &&
    optAttribution(p.attributionContext)
  );
}

// Like the other guards, a run of field checks in the order of its schema (here
// MetadataEventBodySchema): each guard mirrors one schema, so their runs look alike.
function optEvent(v: unknown): boolean {
  if (absent(v)) return true;
  return (
    isObj(v) &&
    optStr(v.originalRequestId) &&
    optStr(v.programmingLanguage) &&
    optStr(v.interactionType) &&
    optInt64(v.linesCount) &&
    optInt64(v.commentLinesCount) &&
    optBool(v.is_agentic) &&
    optBool(v.isAgentic)
  );
}

/** A metadata payload (MetadataLogSchema). */
export function isMetadataLogFast(p: Obj): p is MetadataLog {
  return (
    optStr(p.clientName) &&
    optStr(p.clientVersion) &&
    optStr(p.requestId) &&
    typedBodies(p, METADATA_EVENTS, optEvent)
  );
}
