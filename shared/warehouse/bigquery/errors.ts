/**
 * Errors of the BigQuery adapter: facts for shared/errors.ts (HTTP status, code, BigQuery's
 * reasons), never a classification. Which errors are transient is decided there.
 */

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

/** BigQuery's `errors[]` (reason, message), whatever the shape it arrived in. */
export function errorItems(value: unknown): BigQueryErrorItem[] {
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

// An error class with its own fields, like every adapter's (e.g. StateLockTimeoutError).
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

/** Wraps an SDK error with the operation; our own errors pass unchanged. */
export function wrap(operation: string, err: unknown): Error {
  return err instanceof BigQueryRequestError ? err : new BigQueryRequestError(operation, err);
}

/** Turns a 409 (created meanwhile by another process) into success, wraps anything else. */
export function ignoreAlreadyExists(operation: string): (err: unknown) => void {
  return (err: unknown) => {
    if ((err as { code?: unknown } | null)?.code === 409) return;
    throw wrap(operation, err);
  };
}
