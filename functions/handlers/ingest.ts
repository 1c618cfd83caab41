/**
 * `ingest`: one Pub/Sub message per request (a push body, or a Pub/Sub CloudEvent in structured
 * or binary mode) -> the raw tables. Each request decodes and normalizes its message
 * (prepareBatch, as the CLI does), then hands it to the instance's group commit
 * (shared/pipeline/group-commit.ts), which writes the rows of the requests in flight together.
 * Delivery semantics (docs/functions.md, Delivery semantics):
 * - written, duplicate or skipped -> 200 once the write holding its rows succeeded, Pub/Sub acks;
 * - a body that cannot be decoded, an entry that cannot be understood, or a permanent warehouse
 *   refusal -> a quarantine row, then 200 (acked, never retried, never lost);
 * - a transient failure (rate limit, 5xx, network, contention, a DuckDB lock) of a write holding
 *   the message's rows -> 503 for every request in it, so Pub/Sub redelivers with backoff and,
 *   after N attempts, dead-letters the message;
 * - a redelivered message has the same entry key (or quarantine id) and changes no figure.
 * Logs one summary line per flush (`ingest done` or `ingest failed`), not per message: with a
 * group of one it names the message, as before.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Config } from '../../shared/config';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { createDepsProvider, type DepsProvider } from '../../shared/deps';
import { describeError, errorMessage } from '../../shared/errors';
import { createLogger, type LogFields, type Logger } from '../../shared/log';
import type { NormalizeContext } from '../../shared/normalize/outcome';
import { toMicrosIso } from '../../shared/normalize/time';
import {
  GroupCommit,
  type FlushReport,
  type GroupCommitLimits,
  type Submission,
} from '../../shared/pipeline/group-commit';
import {
  emptyBatch,
  prepareBatch,
  quarantineRowUnderPolicy,
  type QuarantineInput,
} from '../../shared/pipeline/ingest';
import {
  decodePubsubRequest,
  isPubsubDecodeError,
  type PubsubRecord,
} from '../../shared/readers/pubsub';
import { elapsedMs, sendJson, traceFields } from './http';

export interface IngestHandlerOptions {
  deps?: DepsProvider;
  logger?: Logger;
  /** The clock of `ingest_time` and `quarantine_time`; tests inject one. */
  now?: () => Date;
  /** Maps a user id to its pseudonym (issue #6); built from GCA_PSEUDONYMIZE_KEY by default. */
  pseudonymizeUser?: (userId: string) => string;
  /** Group commit limits (GCA_INGEST_FLUSH_*); DEFAULT_GROUP_COMMIT for those not given. */
  groupCommit?: Partial<GroupCommitLimits>;
}

/** What the log line of a flush says about its requests (no content: ids and numbers). */
interface RequestInfo {
  messageId: string | null;
  deliveryAttempt: number | null;
  /** Milliseconds from publish to the request's arrival, when Pub/Sub said when it published. */
  publishAgeMs: number | null;
  trace: Record<string, string>;
}

/** Message ids listed on a flush's log line; the counts cover every request. */
const LOGGED_IDS = 10;

/**
 * A submission for a message that never reaches normalization (it cannot be decoded): one
 * quarantine row, reason invalid_message, content policy applied.
 */
function wholeMessageSubmission(row: QuarantineInput, context: NormalizeContext): Submission {
  const quarantine = [quarantineRowUnderPolicy(row, context.contentMode)];
  return {
    prepared: {
      data: emptyBatch(),
      quarantine,
      origins: new Map(),
      read: 1,
      skipped: 0,
      duplicates: 0,
    },
    records: [{ text: row.raw, source: row.source, messageId: row.messageId ?? null }],
    quarantineTime: row.quarantineTime,
  };
}

/** The one summary line of a flush: `ingest done`, or `ingest failed` when requests failed. */
function logFlush(logger: Logger, report: FlushReport, info: Map<Submission, RequestInfo>): void {
  const requests = report.submissions.map((s) => info.get(s.submission));
  const one = requests.length === 1 ? requests[0] : undefined;
  const ids = requests.slice(0, LOGGED_IDS).map((r) => r?.messageId ?? null);
  let redelivered = 0;
  let oldest = -1;
  for (const r of requests) {
    if (r && r.deliveryAttempt !== null && r.deliveryAttempt > 1) redelivered++;
    if (r && r.publishAgeMs !== null && r.publishAgeMs > oldest) oldest = r.publishAgeMs;
  }
  const fields: LogFields = {
    ...(one ? { ...one.trace, messageId: one.messageId } : { messageIds: ids }),
    ...(one?.deliveryAttempt ? { deliveryAttempt: one.deliveryAttempt } : {}),
    ...(requests.length > 1 ? { messages: requests.length, redelivered } : {}),
    ...(oldest >= 0 ? { publishAgeMs: oldest } : {}),
    counts: { ...report.counts },
    writes: report.writes,
    rows: report.rows,
    latencyMs: report.latencyMs,
  };
  if (report.failed === 0) {
    logger.summary(report.counts.quarantined > 0 ? 'WARNING' : 'INFO', 'ingest done', fields);
    return;
  }
  const description = describeError(report.error);
  // A known transient signal is routine (Pub/Sub retries); an unknown error may be a bug.
  logger.summary(description.signal === 'unknown' ? 'ERROR' : 'WARNING', 'ingest failed', {
    ...fields,
    failed: report.failed,
    status: 'retry',
    httpStatus: 503,
    errorClass: description.errorClass,
    signal: description.signal,
    error: errorMessage(report.error),
  });
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
  const contentMode = config.contentMode;
  /** Per-request facts for the flush's log line; an entry lives until its flush is logged. */
  const info = new Map<Submission, RequestInfo>();
  const groupCommit = new GroupCommit({
    useWarehouse: (fn) => deps.useWarehouse(fn),
    contentMode,
    ...(options.groupCommit ? { limits: options.groupCommit } : {}),
    // A DuckDB file counts duplicates exactly per insert call: one call per request keeps each
    // answer's counts exact. BigQuery's dedup is silent, so one call carries the whole group.
    writePerRequest: config.warehouse.kind === 'duckdb',
    onFlush: (report) => {
      logFlush(logger, report, info);
      for (const s of report.submissions) info.delete(s.submission);
    },
  });

  return async (req, res) => {
    if (req.method !== 'POST') {
      // Pub/Sub always POSTs; a GET (a browser, a probe) is no message and must not be quarantined.
      const start = performance.now();
      res.set('allow', 'POST');
      sendJson(res, 405, { status: 'error', error: 'ingest accepts POST only' });
      logger.summary('WARNING', 'ingest rejected', {
        ...traceFields(req, config.projectId),
        status: 'rejected',
        httpStatus: 405,
        method: req.method,
        latencyMs: elapsedMs(start),
      });
      return;
    }

    const ingestTime = now();
    const context: NormalizeContext = {
      ingestTime: ingestTime.toISOString(),
      contentMode,
      ...(pseudonymizeUser ? { pseudonymizeUser } : {}),
    };
    const quarantineTime = toMicrosIso(context.ingestTime);
    let record: PubsubRecord | null = null;
    let submission: Submission;
    let messageId: string | null;
    try {
      record = decodePubsubRequest(req.headers, req.body);
      messageId = record.messageId;
      submission = {
        prepared: prepareBatch([record], context, quarantineTime),
        records: [record],
        quarantineTime,
      };
    } catch (err) {
      if (!isPubsubDecodeError(err)) {
        // Not the message's fault (a bug): 503, so it is retried and then dead-lettered.
        const description = describeError(err);
        sendJson(res, 503, { status: 'error', error: errorMessage(err), retryable: true });
        logger.summary('ERROR', 'ingest failed', {
          status: 'retry',
          httpStatus: 503,
          errorClass: description.errorClass,
          signal: description.signal,
          error: errorMessage(err),
        });
        return;
      }
      messageId = err.messageId;
      submission = wholeMessageSubmission(
        {
          source: 'pubsub',
          messageId,
          reason: err.reason,
          detail: err.message,
          raw: err.raw,
          quarantineTime,
        },
        context,
      );
    }
    const publishMs = record?.publishTime ? Date.parse(record.publishTime) : NaN;
    info.set(submission, {
      messageId,
      deliveryAttempt: record?.deliveryAttempt ?? null,
      publishAgeMs: Number.isFinite(publishMs)
        ? Math.max(0, ingestTime.getTime() - publishMs)
        : null,
      trace: traceFields(req, config.projectId),
    });

    try {
      const counts = await groupCommit.submit(submission);
      sendJson(res, 200, { status: 'ok', messageId, counts });
    } catch (err) {
      sendJson(res, 503, { status: 'error', messageId, error: errorMessage(err), retryable: true });
    }
  };
}
