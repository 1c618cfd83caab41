/**
 * `ingest`: one Pub/Sub message (a push body, or a Pub/Sub CloudEvent in structured or binary
 * mode) -> the raw tables, through the same `ingestRecords` the CLI uses. Delivery semantics
 * (DESIGN.md, Errors and delivery semantics):
 * - written, duplicate or skipped -> 200, Pub/Sub acks;
 * - a body that cannot be decoded, an entry that cannot be understood, or a permanent warehouse
 *   refusal -> a quarantine row, then 200 (acked, never retried, never lost);
 * - a transient failure (rate limit, 5xx, network, contention, a DuckDB lock) -> 503, so Pub/Sub
 *   redelivers with backoff and, after N attempts, dead-letters the message;
 * - a redelivered message has the same entry key (or quarantine id) and changes no figure.
 * Every invocation logs exactly one summary line (`ingest done` or `ingest failed`).
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Config } from '../../shared/config';
import { applyContentPolicy } from '../../shared/content/policy';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { createDepsProvider, type DepsProvider } from '../../shared/deps';
import { describeError, errorMessage, type ErrorDescription } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/log';
import type { IngestCounts, NormalizeContext } from '../../shared/normalize/outcome';
import { toMicrosIso } from '../../shared/normalize/time';
import { ingestRecords, makeQuarantineRow } from '../../shared/pipeline/ingest';
import { decodePubsubRequest, isPubsubDecodeError } from '../../shared/readers/pubsub';
import type { QuarantineReason } from '../../shared/tables/registry';
import type { Warehouse } from '../../shared/warehouse/port';
import { elapsedMs, sendJson, traceFields } from './http';

export interface IngestHandlerOptions {
  deps?: DepsProvider;
  logger?: Logger;
  /** The clock of `ingest_time` and `quarantine_time`; tests inject one. */
  now?: () => Date;
  /** Maps a user id to its pseudonym (issue #6); built from GCA_PSEUDONYMIZE_KEY by default. */
  pseudonymizeUser?: (userId: string) => string;
}

/** What one message is quarantined as when it never reaches normalization. */
interface WholeMessageQuarantine {
  messageId: string | null;
  reason: QuarantineReason;
  detail: string;
  raw: string;
}

const ZERO: IngestCounts = { read: 0, normalized: 0, duplicates: 0, quarantined: 0, skipped: 0 };

/**
 * Writes one quarantine row for a whole message, under the content policy. Returns the counts:
 * one message read, quarantined (or a duplicate when a redelivery finds its row already there).
 */
async function quarantineMessage(
  warehouse: Warehouse,
  q: WholeMessageQuarantine,
  context: NormalizeContext,
): Promise<IngestCounts> {
  const row = makeQuarantineRow({
    source: 'pubsub',
    messageId: q.messageId,
    insertId: null,
    reason: q.reason,
    detail: q.detail,
    raw: q.raw,
    quarantineTime: toMicrosIso(context.ingestTime),
  });
  const result = await warehouse.insertRaw({
    requests: [],
    responses: [],
    metadata_events: [],
    quarantine: [applyContentPolicy('quarantine', row, context.contentMode)],
  });
  if (result.rejected.length > 0) {
    // Nowhere safe to put it: fail, and let the dead-letter topic keep the message.
    throw new Error(`quarantine row rejected: ${result.rejected[0]?.detail ?? ''}`);
  }
  return { ...ZERO, read: 1, duplicates: result.duplicates, quarantined: 1 - result.duplicates };
}

/** Builds the `ingest` HTTP handler for a parsed configuration. */
export function createIngestHandler(
  config: Config,
  options: IngestHandlerOptions = {},
): HttpFunction {
  const deps = options.deps ?? createDepsProvider(config);
  const logger = (options.logger ?? createLogger({ level: config.logLevel })).child({
    component: 'ingest',
  });
  const now = options.now ?? (() => new Date());
  const pseudonymizeUser =
    options.pseudonymizeUser ??
    (config.pseudonymizeKey ? createPseudonymizer(config.pseudonymizeKey) : undefined);

  return async (req, res) => {
    const start = performance.now();
    const log = logger.child(traceFields(req, config.projectId));
    const context: NormalizeContext = {
      ingestTime: now().toISOString(),
      contentMode: config.contentMode,
      ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
    };
    let messageId: string | null = null;
    const ack = (counts: IngestCounts): void => {
      sendJson(res, 200, { status: 'ok', messageId, counts });
      log.summary(counts.quarantined > 0 ? 'WARNING' : 'INFO', 'ingest done', {
        messageId,
        counts: { ...counts },
        latencyMs: elapsedMs(start),
      });
    };
    const retry = (err: unknown, description: ErrorDescription): void => {
      sendJson(res, 503, { status: 'error', messageId, error: errorMessage(err), retryable: true });
      // A known transient signal is routine (Pub/Sub retries); an unknown error may be a bug.
      log.summary(description.signal === 'unknown' ? 'ERROR' : 'WARNING', 'ingest failed', {
        messageId,
        status: 'retry',
        httpStatus: 503,
        errorClass: description.errorClass,
        signal: description.signal,
        error: errorMessage(err),
        latencyMs: elapsedMs(start),
      });
    };

    if (req.method !== 'POST') {
      // Pub/Sub always POSTs; a GET (a browser, a probe) is no message and must not be quarantined.
      res.set('allow', 'POST');
      sendJson(res, 405, { status: 'error', error: 'ingest accepts POST only' });
      log.summary('WARNING', 'ingest rejected', {
        status: 'rejected',
        httpStatus: 405,
        method: req.method,
        latencyMs: elapsedMs(start),
      });
      return;
    }

    let whole: WholeMessageQuarantine | null = null;
    let record: ReturnType<typeof decodePubsubRequest> | null = null;
    try {
      record = decodePubsubRequest(req.headers, req.body);
      messageId = record.messageId;
    } catch (err) {
      if (!isPubsubDecodeError(err)) return retry(err, describeError(err));
      messageId = err.messageId;
      whole = { messageId, reason: err.reason, detail: err.message, raw: err.raw };
    }

    try {
      const counts = await deps.useWarehouse(async (warehouse) => {
        if (whole) return quarantineMessage(warehouse, whole, context);
        try {
          return await ingestRecords(record ? [record] : [], warehouse, { context });
        } catch (err) {
          const description = describeError(err);
          if (description.errorClass === 'transient' || !description.reason || !record) throw err;
          // The warehouse refused the message itself (e.g. too large, invalid): quarantine it.
          return quarantineMessage(
            warehouse,
            {
              messageId,
              reason: description.reason,
              detail: `${description.signal}: ${errorMessage(err)}`,
              raw: record.text,
            },
            context,
          );
        }
      });
      ack(counts);
    } catch (err) {
      retry(err, describeError(err));
    }
  };
}
