/**
 * The ingest pipeline, shared by the `ingest` function (one Pub/Sub message) and the CLI (an
 * export file): normalize each record, apply the content policy and pseudonymization, dedup,
 * write in batches, and account for every record. Conservation always holds:
 * read = normalized + duplicates + quarantined + skipped.
 *
 * Permanent problems (bad input, a row the warehouse refuses) become quarantine rows; transient
 * ones (the warehouse unreachable, a rate limit) propagate as exceptions so the caller retries
 * (Pub/Sub redelivers; the CLI can re-run, since every write is idempotent by key).
 */
import { applyContentPolicy } from '../content/policy';
import { quarantineId } from '../normalize/entry-key';
import { normalizeText } from '../normalize/normalize';
import type { IngestCounts, NormalizeContext, NormalizeOutcome } from '../normalize/outcome';
import { toMicrosIso } from '../normalize/time';
import type { QuarantineReason, QuarantineRow } from '../tables/registry';
import type { InsertResult, RawBatch, Warehouse } from '../warehouse/port';

type RowOutcome = Extract<NormalizeOutcome, { kind: 'request' | 'response' | 'metadata' }>;

/** One input record: a log entry as JSON text and where it came from. */
export interface RawRecord {
  /** The log entry as JSON text. */
  text: string;
  /** `pubsub`, or `file:NAME#RECORD (line N)` for an export; stored on quarantine rows. */
  source: string;
  /** Pub/Sub message id, when the record came from Pub/Sub. */
  messageId?: string | null;
}

/** Rows per insertRaw call: BigQuery's recommended maximum for one insertAll request. */
export const DEFAULT_BATCH_SIZE = 500;

/**
 * Characters of the input kept in a quarantine row's `raw` (64 Ki): enough to see what was wrong
 * with an entry (Cloud Logging caps entries at 256 KB), small enough that a flood of garbage
 * cannot bloat the quarantine table. `raw_bytes` keeps the full size.
 */
export const QUARANTINE_RAW_CHARS = 64 * 1024;

export interface IngestOptions {
  context: NormalizeContext;
  /** Rows (all tables together) per insertRaw call. Default DEFAULT_BATCH_SIZE. */
  batchSize?: number;
  /** Called after each batch is written, with the running totals (a copy). */
  onBatch?: (counts: IngestCounts) => void;
}

export interface QuarantineInput {
  source: string;
  messageId?: string | null;
  insertId?: string | null;
  reason: QuarantineReason;
  detail: string;
  /** The whole input; truncated here to QUARANTINE_RAW_CHARS. */
  raw: string;
  /** Warehouse TIMESTAMP format (see toMicrosIso). */
  quarantineTime: string;
}

/** `text` cut to at most `max` UTF-16 units, never in the middle of a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const cut = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

/**
 * Builds a quarantine row (full content: apply the content policy before writing). The id is
 * deterministic (source, message id, reason, whole raw), so a redelivered bad message is one row.
 */
export function makeQuarantineRow(input: QuarantineInput): QuarantineRow {
  const messageId = input.messageId ?? null;
  return {
    quarantine_id: quarantineId(input.source, messageId, input.reason, input.raw),
    quarantine_time: input.quarantineTime,
    source: input.source,
    message_id: messageId,
    insert_id: input.insertId ?? null,
    reason: input.reason,
    detail: input.detail,
    raw: truncateText(input.raw, QUARANTINE_RAW_CHARS),
    raw_bytes: Buffer.byteLength(input.raw, 'utf8'),
  };
}

function emptyBatch(): RawBatch {
  return { requests: [], responses: [], metadata_events: [], quarantine: [] };
}

/** The rows of one batch, with what is needed to quarantine a row the warehouse rejects. */
class PendingBatch {
  readonly data = emptyBatch();
  readonly quarantine: QuarantineRow[] = [];
  /** entry_key -> the record it came from (for row_rejected). */
  readonly records = new Map<string, RawRecord>();
  readonly quarantineIds = new Set<string>();

  get size(): number {
    return this.records.size + this.quarantine.length;
  }
}

function pseudonymized<R extends { user_id: string | null }>(row: R, ctx: NormalizeContext): R {
  if (!ctx.pseudonymizeUser || row.user_id === null) return row;
  return { ...row, user_id: ctx.pseudonymizeUser(row.user_id) };
}

/**
 * Normalizes, filters and writes records through the warehouse in batches, returning the counts.
 * Each record ends in exactly one count: normalized (a row written), duplicates (its entry_key
 * was already in the batch or the warehouse), quarantined (bad input or a row the warehouse
 * rejected; a quarantine row written) or skipped (another resource type). Rows get the content
 * policy of `ctx.contentMode` and `ctx.pseudonymizeUser` before they are written. Warehouse
 * errors (transient) propagate; batches already written stay written (writes are idempotent).
 * Throws InvalidTimestampError, before reading anything, if `ctx.ingestTime` is not a timestamp.
 */
export async function ingestRecords(
  records: AsyncIterable<RawRecord> | Iterable<RawRecord>,
  warehouse: Warehouse,
  opts: IngestOptions,
): Promise<IngestCounts> {
  const ctx = opts.context;
  const mode = ctx.contentMode;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
  const quarantineTime = toMicrosIso(ctx.ingestTime);
  const counts: IngestCounts = {
    read: 0,
    normalized: 0,
    duplicates: 0,
    quarantined: 0,
    skipped: 0,
  };
  let batch = new PendingBatch();

  const addQuarantine = (b: PendingBatch, input: Omit<QuarantineInput, 'quarantineTime'>) => {
    const row = applyContentPolicy(
      'quarantine',
      makeQuarantineRow({ ...input, quarantineTime }),
      mode,
    );
    if (b.quarantineIds.has(row.quarantine_id)) {
      counts.duplicates++;
      return;
    }
    b.quarantineIds.add(row.quarantine_id);
    b.quarantine.push(row);
  };

  const addRow = (outcome: RowOutcome, record: RawRecord) => {
    if (batch.records.has(outcome.row.entry_key)) {
      counts.duplicates++;
      return;
    }
    batch.records.set(outcome.row.entry_key, record);
    const data = batch.data;
    switch (outcome.kind) {
      case 'request':
        data.requests.push(pseudonymized(applyContentPolicy('requests', outcome.row, mode), ctx));
        break;
      case 'response':
        data.responses.push(pseudonymized(applyContentPolicy('responses', outcome.row, mode), ctx));
        break;
      case 'metadata':
        data.metadata_events.push(
          pseudonymized(applyContentPolicy('metadata_events', outcome.row, mode), ctx),
        );
        break;
    }
  };

  /** Writes one batch and its quarantine rows, then reports the running totals. */
  const write = async (b: PendingBatch) => {
    const dataRows = b.records.size;
    if (dataRows > 0) {
      const result: InsertResult = await warehouse.insertRaw(b.data);
      const rejected = result.rejected.filter((r) => r.table !== 'quarantine');
      counts.duplicates += result.duplicates;
      counts.normalized += dataRows - result.duplicates - rejected.length;
      for (const r of rejected) {
        const record = b.records.get(r.key);
        addQuarantine(b, {
          source: record?.source ?? 'unknown',
          messageId: record?.messageId ?? null,
          insertId: insertIdOfRow(b.data, r.key),
          reason: 'row_rejected',
          detail: `${r.table}: ${r.detail}`,
          raw: record?.text ?? '',
        });
      }
    }
    if (b.quarantine.length > 0) await writeQuarantine(b.quarantine);
    opts.onBatch?.({ ...counts });
  };

  const writeQuarantine = async (rows: QuarantineRow[]) => {
    const result = await warehouse.insertRaw({ ...emptyBatch(), quarantine: rows });
    counts.duplicates += result.duplicates;
    counts.quarantined += rows.length - result.duplicates;
    if (result.rejected.length === 0) return;
    // A quarantine row refused (e.g. raw too odd for the engine): keep the fact without raw.
    const byId = new Map(rows.map((r) => [r.quarantine_id, r]));
    const retry = result.rejected.flatMap((r) => {
      const row = byId.get(r.key);
      return row ? [{ ...row, raw: null, detail: truncateText(`${row.detail ?? ''}`, 1000) }] : [];
    });
    const again = await warehouse.insertRaw({ ...emptyBatch(), quarantine: retry });
    if (again.rejected.length > 0) {
      throw new Error(
        `warehouse rejected ${again.rejected.length} quarantine row(s): ${again.rejected[0]?.detail ?? ''}`,
      );
    }
  };

  // At most one write in flight while the next batch is normalized: the warehouse works on its
  // own threads (DuckDB) or the network (BigQuery), so this hides most of the JS time, and
  // memory stays bounded by two batches. Writes stay in order, one after the other, so each
  // batch still dedups against everything written before it.
  let inFlight: Promise<void> | null = null;
  const drain = async () => {
    const pending = inFlight;
    inFlight = null;
    if (pending) await pending;
  };
  const flush = async () => {
    const b = batch;
    batch = new PendingBatch();
    if (b.size === 0) return;
    await drain();
    const started = write(b);
    // A failure is rethrown by the next drain; until then this marks it handled, so a write
    // failing while the next batch is normalized is not an unhandled rejection.
    started.catch(() => undefined);
    inFlight = started;
  };

  try {
    for await (const record of records) {
      counts.read++;
      const outcome = normalizeText(record.text, ctx);
      switch (outcome.kind) {
        case 'request':
        case 'response':
        case 'metadata':
          addRow(outcome, record);
          break;
        case 'skipped':
          counts.skipped++;
          break;
        case 'quarantined':
          addQuarantine(batch, {
            source: record.source,
            messageId: record.messageId ?? null,
            insertId: outcome.insertId,
            reason: outcome.reason,
            detail: outcome.detail,
            raw: record.text,
          });
          break;
      }
      if (batch.size >= batchSize) await flush();
    }
    await flush();
    await drain();
  } finally {
    // Reading or normalizing failed with a write in flight: let it settle before the caller
    // closes the warehouse (its own failure, if any, is superseded by the one propagating).
    if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
  }
  return counts;
}

function insertIdOfRow(batch: RawBatch, key: string): string | null {
  for (const rows of [batch.requests, batch.responses, batch.metadata_events]) {
    for (const row of rows) if (row.entry_key === key) return row.insert_id;
  }
  return null;
}
