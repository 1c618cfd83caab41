/**
 * Typed errors of the state stores. They describe what went wrong; whether a failure is transient
 * (retry/redeliver) is decided in shared/errors.ts, not here.
 */

/** The local state file exists but is not valid JSON or does not match the state schema. */
export class StateFileCorruptError extends Error {
  override readonly name = 'StateFileCorruptError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`state file ${path} is not a valid gca-analytics state file: ${detail}`);
  }
}

// An error class with its own fields, like every adapter's (e.g. BigQueryQueryTimeoutError).
/** The lock around a read-modify-write of the local state file could not be taken in time. */
export class StateLockTimeoutError extends Error {
  override readonly name = 'StateLockTimeoutError';
  /** Contention: another process holds the lock, so trying again later is reasonable. */
  readonly code = 'STATE_LOCK_TIMEOUT';
  constructor(
    readonly lockPath: string,
    readonly waitedMs: number,
  ) {
    super(`could not lock ${lockPath} within ${waitedMs} ms (another process holds it)`);
  }
}

/** `updateErasureRequest` was given a request id the store does not know. */
export class ErasureRequestNotFoundError extends Error {
  override readonly name = 'ErasureRequestNotFoundError';
  constructor(readonly id: string) {
    super(`erasure request ${id} does not exist`);
  }
}
