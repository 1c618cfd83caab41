import { ApiError, util as commonUtil } from '@google-cloud/common';

type GoogleErrorBody = ConstructorParameters<typeof commonUtil.PartialFailureError>[0];
import { GoogleError, Status } from 'google-gax';
import { GaxiosError, type GaxiosOptionsPrepared } from 'gaxios';
import {
  PermanentError,
  TransientError,
  describeError,
  errorMessage,
  isPermanentError,
  isTransientError,
} from '../../shared/errors';
import { StateLockTimeoutError } from '../../shared/state/errors';

/** What @google-cloud/bigquery throws for a failed REST call (via @google-cloud/common). */
function apiError(code: number, message: string, reason?: string): ApiError {
  const body: GoogleErrorBody = {
    code,
    message,
    errors: reason ? [{ reason, message }] : [],
    response: undefined as unknown as GoogleErrorBody['response'],
  };
  return new ApiError(body);
}

function bigQueryError(code: number, reason: string, message = reason): ApiError {
  return apiError(code, message, reason);
}

/** What @google-cloud/firestore throws (google-gax GoogleError with a gRPC status). */
function grpcError(code: Status, message: string): GoogleError {
  const err = new GoogleError(message);
  err.code = code;
  return err;
}

function errno(code: string, message = `connect ${code} 127.0.0.1:443`): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  err.syscall = 'connect';
  return err;
}

function gaxiosError(status: number, reason?: string): GaxiosError {
  const url = new URL('https://bigquery.googleapis.com/bigquery/v2/projects/p/datasets/d');
  const config = { url } as GaxiosOptionsPrepared;
  const body = reason ? { error: { code: status, errors: [{ reason, message: reason }] } } : {};
  const response = {
    config,
    data: body,
    status,
    statusText: 'x',
    headers: new Headers(),
    // gaxios keeps `data` only for a consumed body, as after a real fetch.
    bodyUsed: true,
  } as unknown as ConstructorParameters<typeof GaxiosError>[2];
  return new GaxiosError(`Request failed with status ${status}`, config, response);
}

type Case = [name: string, err: unknown, errorClass: 'permanent' | 'transient', signal: string];

// A table of cases: one row per error and its classification, alike by design.
const cases: Case[] = [
  // Our own typed errors.
  ['PermanentError', new PermanentError('invalid_json', 'bad'), 'permanent', 'PermanentError'],
  ['TransientError', new TransientError('later'), 'transient', 'TransientError'],
  // Google API HTTP statuses (BigQuery REST via @google-cloud/common).
  ['BigQuery 429', bigQueryError(429, 'rateLimitExceeded'), 'transient', 'http 429'],
  ['BigQuery 500', bigQueryError(500, 'internalError'), 'transient', 'http 500'],
  ['BigQuery 502', apiError(502, 'Bad Gateway'), 'transient', 'http 502'],
  ['BigQuery 503', bigQueryError(503, 'backendError'), 'transient', 'http 503'],
  ['BigQuery 504', apiError(504, 'Gateway Timeout'), 'transient', 'http 504'],
  ['HTTP 408', apiError(408, 'Request Timeout'), 'transient', 'http 408'],
  // BigQuery answers rate limits and quotas with 403: the reason wins over the status.
  [
    'BigQuery 403 rateLimitExceeded',
    bigQueryError(403, 'rateLimitExceeded'),
    'transient',
    'reason rateLimitExceeded',
  ],
  [
    'BigQuery 403 quotaExceeded',
    bigQueryError(403, 'quotaExceeded'),
    'transient',
    'reason quotaExceeded',
  ],
  [
    'BigQuery 400 backendError',
    bigQueryError(400, 'backendError'),
    'transient',
    'reason backendError',
  ],
  [
    'BigQuery jobInternalError',
    bigQueryError(400, 'jobInternalError'),
    'transient',
    'reason jobInternalError',
  ],
  [
    'BigQuery tableUnavailable',
    bigQueryError(400, 'tableUnavailable'),
    'transient',
    'reason tableUnavailable',
  ],
  ['gaxios 503', gaxiosError(503), 'transient', 'http 503'],
  [
    'gaxios 403 rateLimitExceeded (reason in response body)',
    gaxiosError(403, 'rateLimitExceeded'),
    'transient',
    'reason rateLimitExceeded',
  ],
  // Data-caused: permanent with a quarantine reason.
  [
    'BigQuery 400 invalid',
    bigQueryError(400, 'invalid', 'Cannot convert value to integer (bad value): x'),
    'permanent',
    'reason invalid',
  ],
  // A table lacking a field our rows carry: the table's fault (a deploy), not the input's.
  [
    'BigQuery 400 invalid: no such field',
    bigQueryError(400, 'invalid', 'no such field: new_column.'),
    'transient',
    'no such field (table schema)',
  ],
  [
    'BigQuery 400 invalid quoting "no such field" later in its message',
    bigQueryError(400, 'invalid', 'Invalid value: no such field: x'),
    'permanent',
    'reason invalid',
  ],
  ['HTTP 413', apiError(413, 'Request Entity Too Large'), 'permanent', 'http 413'],
  // Two partial failures alike but for the failing row's reason: one for each class.
  [
    'insertAll partial failure: one invalid row, the others stopped',
    new commonUtil.PartialFailureError({
      errors: [
        { errors: [{ reason: 'invalid', message: 'Invalid timestamp' }], row: {} },
        { errors: [{ reason: 'stopped', message: '' }], row: {} },
      ],
      response: undefined,
    } as unknown as ConstructorParameters<typeof commonUtil.PartialFailureError>[0]),
    'permanent',
    'reason invalid',
  ],
  [
    'insertAll partial failure: a row whose table lacks one of its fields',
    new commonUtil.PartialFailureError({
      errors: [
        { errors: [{ reason: 'invalid', message: 'no such field: new_column.' }], row: {} },
        { errors: [{ reason: 'stopped', message: '' }], row: {} },
      ],
      response: undefined,
    } as unknown as ConstructorParameters<typeof commonUtil.PartialFailureError>[0]),
    'transient',
    'no such field (table schema)',
  ],
  [
    'insertAll partial failure: a backendError row',
    new commonUtil.PartialFailureError({
      errors: [
        { errors: [{ reason: 'backendError', message: '' }], row: {} },
        { errors: [{ reason: 'stopped', message: '' }], row: {} },
      ],
      response: undefined,
    } as unknown as ConstructorParameters<typeof commonUtil.PartialFailureError>[0]),
    'transient',
    'reason backendError',
  ],
  // gRPC codes (Firestore via google-gax).
  [
    'Firestore ABORTED (contention)',
    grpcError(Status.ABORTED, '10 ABORTED: Too much contention'),
    'transient',
    'grpc 10',
  ],
  [
    'Firestore UNAVAILABLE',
    grpcError(Status.UNAVAILABLE, '14 UNAVAILABLE: No connection'),
    'transient',
    'grpc 14',
  ],
  [
    'Firestore DEADLINE_EXCEEDED',
    grpcError(Status.DEADLINE_EXCEEDED, '4 DEADLINE_EXCEEDED'),
    'transient',
    'grpc 4',
  ],
  [
    'Firestore RESOURCE_EXHAUSTED',
    grpcError(Status.RESOURCE_EXHAUSTED, '8 RESOURCE_EXHAUSTED'),
    'transient',
    'grpc 8',
  ],
  ['Firestore INTERNAL', grpcError(Status.INTERNAL, '13 INTERNAL'), 'transient', 'grpc 13'],
  ['Firestore CANCELLED', grpcError(Status.CANCELLED, '1 CANCELLED'), 'transient', 'grpc 1'],
  // Network errnos.
  ['ECONNRESET', errno('ECONNRESET', 'read ECONNRESET'), 'transient', 'errno ECONNRESET'],
  ['ETIMEDOUT', errno('ETIMEDOUT'), 'transient', 'errno ETIMEDOUT'],
  ['ECONNREFUSED', errno('ECONNREFUSED'), 'transient', 'errno ECONNREFUSED'],
  [
    'EAI_AGAIN',
    errno('EAI_AGAIN', 'getaddrinfo EAI_AGAIN bigquery.googleapis.com'),
    'transient',
    'errno EAI_AGAIN',
  ],
  ['EPIPE', errno('EPIPE', 'write EPIPE'), 'transient', 'errno EPIPE'],
  ['socket hang up', new Error('socket hang up'), 'transient', 'network socket hang up'],
  [
    'fetch failed with an errno cause (undici)',
    new TypeError('fetch failed', { cause: errno('ECONNRESET') }),
    'transient',
    'errno ECONNRESET',
  ],
  [
    'AggregateError of connection refusals (happy eyeballs)',
    new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], 'connect failed'),
    'transient',
    'errno ECONNREFUSED',
  ],
  // Timeouts and aborts.
  [
    'AbortSignal.timeout',
    new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    'transient',
    'aborted',
  ],
  [
    'gaxios timeout (code from the DOMException name)',
    new GaxiosError(
      'timeout',
      { url: new URL('https://x') } as GaxiosOptionsPrepared,
      undefined,
      new DOMException('t', 'TimeoutError'),
    ),
    'transient',
    'aborted',
  ],
  [
    'AbortError',
    new DOMException('This operation was aborted', 'AbortError'),
    'transient',
    'aborted',
  ],
  ['message: timed out', new Error('Query timed out after 30s'), 'transient', 'timeout'],
  // DuckDB (local mode).
  [
    'DuckDB file lock held by another process',
    new Error(
      'IO Error: Could not set lock on file "/tmp/x.duckdb": Conflicting lock is held in /usr/bin/node (PID 42). See also https://duckdb.org/docs/stable/connect/concurrency',
    ),
    'transient',
    'duckdb lock',
  ],
  [
    'DuckDB write-write conflict',
    new Error('TransactionContext Error: Catalog write-write conflict on create with "x"'),
    'transient',
    'duckdb conflict',
  ],
  [
    'local state file lock timeout',
    new StateLockTimeoutError('/tmp/s.json.lock', 15000),
    'transient',
    'errno STATE_LOCK_TIMEOUT',
  ],
  // A transient cause wins over a permanent wrapper found deeper (retry the whole input).
  [
    'wrapped: Error with a 503 cause',
    new Error('insert failed', { cause: bigQueryError(503, 'backendError') }),
    'transient',
    'http 503',
  ],
  [
    'wrapped: Error with a PermanentError cause',
    new Error('normalize failed', { cause: new PermanentError('invalid_payload', 'x') }),
    'permanent',
    'PermanentError',
  ],
  // Unknown: transient (dead-letter keeps the whole message; quarantine would truncate it).
  ['plain Error', new Error('something odd'), 'transient', 'unknown'],
  [
    'BigQuery 400 without reason (maybe our request is wrong)',
    apiError(400, 'Bad Request'),
    'transient',
    'unknown',
  ],
  [
    'BigQuery 404 notFound (missing table: a deploy problem)',
    bigQueryError(404, 'notFound'),
    'transient',
    'unknown',
  ],
  [
    'BigQuery 403 accessDenied (IAM: fix, then replay)',
    bigQueryError(403, 'accessDenied'),
    'transient',
    'unknown',
  ],
  [
    'Firestore INVALID_ARGUMENT',
    grpcError(Status.INVALID_ARGUMENT, '3 INVALID_ARGUMENT'),
    'transient',
    'unknown',
  ],
  ['a string', 'boom', 'transient', 'unknown'],
  ['undefined', undefined, 'transient', 'unknown'],
  ['null', null, 'transient', 'unknown'],
  ['a number', 42, 'transient', 'unknown'],
];

describe('describeError', () => {
  it.each(cases)('%s', (_name, err, errorClass, signal) => {
    expect(describeError(err).errorClass).toBe(errorClass);
    expect(describeError(err).signal).toBe(signal);
  });

  it('gives the quarantine reason of permanent errors only', () => {
    expect(describeError(new PermanentError('too_large', 'x')).reason).toBe('too_large');
    expect(describeError(bigQueryError(400, 'invalid')).reason).toBe('row_rejected');
    expect(describeError(apiError(413, 'x')).reason).toBe('too_large');
    expect(describeError(bigQueryError(503, 'backendError')).reason).toBeNull();
    expect(describeError(new Error('x')).reason).toBeNull();
  });

  it('survives cyclic causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(describeError(a).errorClass).toBe('transient');
  });
});

describe('typed errors', () => {
  it('carry their kind, reason and cause', () => {
    const cause = new Error('root');
    const p = new PermanentError('invalid_envelope', 'no data', { cause });
    expect(p).toBeInstanceOf(Error);
    expect(p.name).toBe('PermanentError');
    expect(p.reason).toBe('invalid_envelope');
    expect(p.cause).toBe(cause);
    expect(isPermanentError(p)).toBe(true);
    expect(isTransientError(p)).toBe(false);
    const t = new TransientError('later');
    expect(isTransientError(t)).toBe(true);
    expect(isPermanentError(t)).toBe(false);
  });

  it('are recognised by shape across module copies', () => {
    expect(isPermanentError({ kind: 'permanent', reason: 'invalid_json', message: 'x' })).toBe(
      true,
    );
    expect(isTransientError({ kind: 'transient', message: 'x' })).toBe(true);
    expect(isPermanentError({ kind: 'permanent' })).toBe(false);
  });
});

describe('errorMessage', () => {
  it('names the error and bounds its length', () => {
    expect(errorMessage(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorMessage('x'.repeat(2000)).length).toBeLessThanOrEqual(503);
    expect(errorMessage({ a: 1 })).toBe('{"a":1}');
  });
});
