/**
 * The two error families of the pipeline and the ONE place that decides which family an error
 * belongs to. Adapters let SDK errors propagate (or wrap them keeping `status`/`code`); entry
 * points, the ingest group commit and the BigQuery adapter's row handling branch on
 * `describeError` (its class, its quarantine reason and the signal that decided, for the logs):
 *
 * - permanent: the input itself is at fault; retrying cannot help. Ingest writes a quarantine row
 *   and acks (2xx), so Pub/Sub never redelivers it.
 * - transient: the input may be fine; something around it failed (rate limit, 5xx, network,
 *   contention, timeout, a DuckDB file lock). Ingest answers non-2xx so Pub/Sub redelivers with
 *   backoff; after N attempts the message goes to the dead-letter topic, whence it can be replayed.
 *
 * An error we do not recognise is TRANSIENT: the dead-letter topic keeps the whole message and it
 * can be replayed once the cause is fixed, so nothing is lost; a permanent classification would ack
 * it into quarantine, which keeps only a truncated copy and is never retried. Misclassifying a
 * deploy bug (a missing table, a wrong permission, a malformed request of ours) as permanent would
 * silently quarantine the whole stream; misclassifying a bad input as transient costs N retries.
 */
import type { QuarantineReason } from './tables/registry';

export const ERROR_CLASSES = ['permanent', 'transient'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The input cannot be processed, ever: quarantine it with `reason` and ack. */
export class PermanentError extends Error {
  readonly kind = 'permanent' as const;
  readonly reason: QuarantineReason;

  constructor(reason: QuarantineReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
    this.reason = reason;
  }
}

/** Something around the input failed; retry later (Pub/Sub redelivers, Scheduler retries). */
export class TransientError extends Error {
  readonly kind = 'transient' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** True for a `PermanentError` (also across module copies, by shape). */
export function isPermanentError(err: unknown): err is PermanentError {
  return (
    err instanceof PermanentError ||
    (isRecord(err) &&
      err.kind === 'permanent' &&
      typeof err.reason === 'string' &&
      'message' in err)
  );
}

/** True for a `TransientError` (also across module copies, by shape). */
export function isTransientError(err: unknown): err is TransientError {
  return (
    err instanceof TransientError || (isRecord(err) && err.kind === 'transient' && 'message' in err)
  );
}

/** HTTP statuses Google APIs answer when a retry may succeed. 408: request timeout. */
export const TRANSIENT_HTTP_STATUSES = [408, 429, 500, 502, 503, 504] as const;

/**
 * BigQuery / Google API error reasons (`errors[].reason`) that mean "try again". BigQuery answers
 * rate limits with 403 + `rateLimitExceeded`/`quotaExceeded`, so the reason wins over the status.
 * `stopped` is deliberately absent: it marks rows that were fine but not written because ANOTHER
 * row failed, so the other row's reason decides.
 */
export const TRANSIENT_REASONS = [
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'jobRateLimitExceeded',
  'backendError',
  'internalError',
  'jobBackendError',
  'jobInternalError',
  'tableUnavailable',
  'timeout',
] as const;

/** gRPC codes (Firestore) that mean "try again". */
export const TRANSIENT_GRPC_CODES = {
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** Node/undici network errnos, timeout codes and our own contention codes. */
export const TRANSIENT_ERRNOS = [
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  // shared/state/local.ts: another process held the state file's lock for too long.
  'STATE_LOCK_TIMEOUT',
] as const;

const ABORT_NAMES: readonly string[] = ['AbortError', 'TimeoutError', 'ABORT_ERR'];

/** Messages with no code that still mean "try again" (network, timeouts, DuckDB locks). */
const TRANSIENT_MESSAGES: readonly { pattern: RegExp; signal: string }[] = [
  { pattern: /socket hang up/i, signal: 'network socket hang up' },
  { pattern: /\b(timed out|timeout)\b/i, signal: 'timeout' },
  // DuckDB (local mode): another process holds the database file.
  { pattern: /could not set lock on file|conflicting lock is held/i, signal: 'duckdb lock' },
  // DuckDB optimistic concurrency inside one process.
  {
    pattern: /write-write conflict|transaction conflict|conflict on tuple/i,
    signal: 'duckdb conflict',
  },
];

/**
 * BigQuery's `invalid` "no such field: X.": the table lacks a column the row carries. Our rows are
 * built from the table registry, so this is not the row's fault but the table's: after a deploy
 * adds a column, BigQuery's streaming backend can go on calling it unknown for some minutes (and
 * a deploy that failed to update the table leaves it so). Transient, so the message is retried
 * and, if it lasts, dead-lettered for replay, instead of the whole stream being quarantined. Read
 * from the fixed start of BigQuery's own message, which user data cannot produce.
 */
const MISSING_FIELD = /^no such field\b/i;

function isMissingField(node: { reason?: unknown; message?: unknown }): boolean {
  return (
    node.reason === 'invalid' &&
    typeof node.message === 'string' &&
    MISSING_FIELD.test(node.message)
  );
}

/**
 * Data-caused signals: the request carried an input the service rejects as such. Kept narrow on
 * purpose (see the module comment): a bare 400 is NOT here, because a malformed request of ours
 * would then quarantine every message.
 */
const PERMANENT_REASONS: Readonly<Record<string, QuarantineReason>> = {
  invalid: 'row_rejected',
};

/** What `describeError` found: the class, the quarantine reason if permanent, and why. */
export interface ErrorDescription {
  errorClass: ErrorClass;
  /** Set when permanent. */
  reason: QuarantineReason | null;
  /** The signal that decided, for logs and tests, e.g. `http 503`, `grpc 14`, `unknown`. */
  signal: string;
}

/**
 * Classifies any thrown value as `permanent` (quarantine + ack) or `transient` (fail, retry), and
 * says why: the one classification of the project. Rules, first match wins:
 * 1. our typed errors (`PermanentError`, `TransientError`) at the top level;
 * 2. any transient signal anywhere in the error, its `cause` chain or nested `errors` (HTTP
 *    408/429/5xx, a transient API reason, a transient gRPC code, a network errno, an abort or
 *    timeout, a DuckDB lock or conflict, a table lacking a field), because a retry of the whole
 *    input may succeed;
 * 3. a nested `PermanentError`, HTTP 413 (too large) or API reason `invalid`: permanent;
 * 4. anything else: transient (unknown).
 */
export function describeError(err: unknown): ErrorDescription {
  if (isPermanentError(err)) {
    return { errorClass: 'permanent', reason: err.reason, signal: 'PermanentError' };
  }
  if (isTransientError(err)) return transient('TransientError');
  const nodes = collectNodes(err);
  for (const node of nodes) {
    const signal = transientSignal(node);
    if (signal) return transient(signal);
  }
  for (const node of nodes) {
    const found = permanentSignal(node);
    if (found) return { errorClass: 'permanent', reason: found.reason, signal: found.signal };
  }
  return transient('unknown');
}

/**
 * Classifies the errors of one row of a BigQuery insertAll partial failure: by their reasons
 * only, since the rest of a message may quote the row's data (a value that happens to contain
 * "timeout" must not make a bad row look transient); the one exception is a missing field (see
 * MISSING_FIELD), read from the fixed start of BigQuery's message.
 */
export function classifyRowErrors(
  errors: readonly { reason?: string | undefined; message?: string | undefined }[],
): ErrorDescription {
  if (errors.some(isMissingField)) return transient('no such field (table schema)');
  return describeError({ errors: errors.map((e) => ({ reason: e.reason })) });
}

/** A one-line description of any thrown value, safe to log (no payload, bounded length). */
export function errorMessage(err: unknown): string {
  const text =
    err instanceof Error
      ? `${err.name}: ${err.message}`
      : isRecord(err)
        ? safeJson(err)
        : String(err);
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

function transient(signal: string): ErrorDescription {
  return { errorClass: 'transient', reason: null, signal };
}

type Node = Record<string, unknown>;

function isRecord(value: unknown): value is Node {
  return typeof value === 'object' && value !== null;
}

/** The error, its causes and nested errors (AggregateError, BigQuery `errors`), bounded. */
function collectNodes(err: unknown): Node[] {
  const out: Node[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (!isRecord(value) || seen.has(value) || depth > 6 || out.length > 200) return;
    seen.add(value);
    out.push(value);
    visit(value.cause, depth + 1);
    // gaxios: err.response.status and err.response.data.error.errors[].reason.
    visit(value.response, depth + 1);
    visit(value.data, depth + 1);
    visit(value.error, depth + 1);
    for (const key of ['errors', 'details'] as const) {
      const nested = value[key];
      if (Array.isArray(nested)) for (const item of nested.slice(0, 50)) visit(item, depth + 1);
    }
  };
  visit(err, 0);
  return out;
}

/** HTTP status of a node: `status`, `statusCode`, or a numeric `code` >= 100 (gRPC codes < 100). */
function httpStatus(node: Node): number | null {
  for (const key of ['status', 'statusCode', 'code'] as const) {
    const value = node[key];
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return null;
}

function grpcCode(node: Node): number | null {
  const value = node.code;
  // google-gax GoogleError carries the gRPC status as a small number; HTTP statuses are >= 100.
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 100
    ? value
    : null;
}

function transientSignal(node: Node): string | null {
  if (isTransientError(node)) return 'TransientError';
  if (isMissingField(node)) return 'no such field (table schema)';
  const status = httpStatus(node);
  if (status !== null && (TRANSIENT_HTTP_STATUSES as readonly number[]).includes(status)) {
    return `http ${status}`;
  }
  if (
    typeof node.reason === 'string' &&
    (TRANSIENT_REASONS as readonly string[]).includes(node.reason)
  ) {
    return `reason ${node.reason}`;
  }
  const grpc = grpcCode(node);
  if (grpc !== null && (Object.values(TRANSIENT_GRPC_CODES) as number[]).includes(grpc)) {
    return `grpc ${grpc}`;
  }
  for (const key of ['code', 'errno'] as const) {
    const value = node[key];
    if (typeof value === 'string' && (TRANSIENT_ERRNOS as readonly string[]).includes(value)) {
      return `errno ${value}`;
    }
  }
  // gaxios copies a DOMException's name into `code`; Node's AbortController uses ABORT_ERR.
  if (
    ABORT_NAMES.includes(String(node.name)) ||
    (typeof node.code === 'string' && ABORT_NAMES.includes(node.code))
  ) {
    return 'aborted';
  }
  if (typeof node.message === 'string') {
    for (const { pattern, signal } of TRANSIENT_MESSAGES) {
      if (pattern.test(node.message)) return signal;
    }
  }
  return null;
}

function permanentSignal(node: Node): { reason: QuarantineReason; signal: string } | null {
  if (isPermanentError(node)) return { reason: node.reason, signal: 'PermanentError' };
  if (httpStatus(node) === 413) return { reason: 'too_large', signal: 'http 413' };
  if (typeof node.reason === 'string') {
    const reason = PERMANENT_REASONS[node.reason];
    if (reason) return { reason, signal: `reason ${node.reason}` };
  }
  return null;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
