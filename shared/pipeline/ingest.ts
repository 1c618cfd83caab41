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
import { scrubJsonText } from '../content/scrub';
import { quarantineId } from '../normalize/entry-key';
import { normalizeText } from '../normalize/normalize';
import type { IngestCounts, NormalizeContext } from '../normalize/outcome';
import { toMicrosIso } from '../normalize/time';
import type { QuarantineReason, QuarantineRow } from '../tables/registry';
import type { InsertResult, RawBatch, Warehouse } from '../warehouse/port';

/** One input record: a log entry as JSON text and where it came from. */
export interface RawRecord {
  /** The log entry as JSON text. */
  text: string;
  /** `pubsub`, or `file:NAME#RECORD (line N)` for an export; stored on quarantine rows. */
  source: string;
  /** Pub/Sub message id, when the record came from Pub/Sub. */
  messageId?: string | null;
}

/**
 * Records per batch, so at most this many rows per insertRaw call: BigQuery's recommended
 * maximum for one insertAll request.
 */
export const DEFAULT_BATCH_SIZE = 500;

/**
 * Characters of the input kept in a quarantine row's `raw` (64 Ki): enough to see what was wrong
 * with an entry (Cloud Logging caps entries at 256 KB), small enough that a flood of garbage
 * cannot bloat the quarantine table. `raw_bytes` keeps the full size.
 */
export const QUARANTINE_RAW_CHARS = 64 * 1024;

export interface IngestOptions {
  context: NormalizeContext;
  /** Records per batch (one insertRaw call, at most this many rows). Default DEFAULT_BATCH_SIZE. */
  batchSize?: number;
  /**
   * Characters of record text per batch: a batch ends at this many (or at `batchSize` records,
   * whichever comes first), so what a batch holds in memory, and what the warehouse parses in
   * one insert, is bounded by bytes, not only by rows: 5,000 entries of 60 KB are 300 MB.
   * The record that reaches the bound ends the batch, so a batch may exceed it by that record.
   * Default: no bound.
   */
  batchChars?: number;
  /** Called after each batch is written, with the running totals (a copy). */
  onBatch?: (counts: IngestCounts) => void;
  /**
   * Receives the UTC event days (YYYY-MM-DD) of the rows prepared for the raw tables, repeats of
   * stored entries included: what the recompute after the ingest has to reach.
   */
  eventDays?: Set<string>;
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

/** A `"user_id": "..."` field of an entry's text (labels.user_id), as written. */
const USER_ID_FIELD = /"user_id"\s{0,16}:\s{0,16}"(?:[^"\\]|\\.){1,256}"/g;

/** User ids kept at most in a truncated `raw`, and the characters kept free for them. */
const MAX_KEPT_USER_IDS = 4;
const USER_IDS_ROOM = 2048;

/**
 * `raw` cut to QUARANTINE_RAW_CHARS, still naming the users it names. Erasure finds a user's
 * quarantine rows by the id in `raw` (shared/sql/retention.ts, eraseRawSql), and an export lists
 * `labels` after `jsonPayload`: cutting a large entry usually dropped `labels.user_id` but kept
 * the user's prompt, so erasure could not find the row. The `"user_id": "..."` fields the cut
 * drops are now kept at the end, after a marker, within the limit (the stored text stays shorter
 * than the input, so the row still reads as truncated: isTruncated in shared/ops/quarantine.ts).
 */
function truncateRaw(raw: string): string {
  if (raw.length <= QUARANTINE_RAW_CHARS) return raw;
  const keep = QUARANTINE_RAW_CHARS - USER_IDS_ROOM;
  const dropped: string[] = [];
  // Room for the fields, after the marker's own text.
  let room = USER_IDS_ROOM - 64;
  // From a little before the cut, so that a field straddling it counts as dropped.
  const from = keep - 600;
  for (const m of raw.slice(from).matchAll(USER_ID_FIELD)) {
    const field = m[0];
    if (from + m.index + field.length <= keep || dropped.includes(field)) continue;
    if (field.length + 2 > room) continue;
    room -= field.length + 2;
    dropped.push(field);
    if (dropped.length === MAX_KEPT_USER_IDS) break;
  }
  if (dropped.length === 0) return truncateText(raw, QUARANTINE_RAW_CHARS);
  return `${truncateText(raw, keep)}\n[truncated; kept from the rest: ${dropped.join(', ')}]`;
}

/**
 * Builds a quarantine row (full content: apply the content policy before writing). The id is
 * deterministic (source, message id, reason, whole raw), so a redelivered bad message is one row.
 * `kept`: the text whose cut `raw` keeps, when not the input itself (scrubbed whole first).
 */
export function makeQuarantineRow(input: QuarantineInput, kept = input.raw): QuarantineRow {
  const messageId = input.messageId ?? null;
  return {
    quarantine_id: quarantineId(input.source, messageId, input.reason, input.raw),
    quarantine_time: input.quarantineTime,
    source: input.source,
    message_id: messageId,
    insert_id: input.insertId ?? null,
    reason: input.reason,
    detail: input.detail,
    raw: truncateRaw(kept),
    raw_bytes: Buffer.byteLength(input.raw, 'utf8'),
  };
}

/**
 * Appends the quarantine row of `input`, content policy applied, unless a row with its id is
 * already in `rows` (`ids` holds their ids); returns false for such a repeat.
 */
export function addQuarantineRow(
  rows: QuarantineRow[],
  ids: Set<string>,
  input: QuarantineInput,
  mode: NormalizeContext['contentMode'],
): boolean {
  const row = quarantineRowUnderPolicy(input, mode);
  if (ids.has(row.quarantine_id)) return false;
  ids.add(row.quarantine_id);
  rows.push(row);
  return true;
}

/**
 * The quarantine row of `input` under the content policy of `mode`. Under `scrubbed`, an input
 * longer than the raw text kept is scrubbed whole before it is cut: cut JSON no longer parses, so
 * the policy would scrub it as text, where JSON escaping hides secrets (shared/content/scrub.ts).
 * The id and raw_bytes stay those of the input as received.
 */
export function quarantineRowUnderPolicy(
  input: QuarantineInput,
  mode: NormalizeContext['contentMode'],
): QuarantineRow {
  const kept =
    mode === 'scrubbed' && input.raw.length > QUARANTINE_RAW_CHARS
      ? scrubJsonText(input.raw)
      : input.raw;
  return applyContentPolicy('quarantine', makeQuarantineRow(input, kept), mode);
}

export function emptyBatch(): RawBatch {
  return { requests: [], responses: [], metadata_events: [], quarantine: [] };
}

function pseudonymized<R extends { user_id: string | null }>(row: R, ctx: NormalizeContext): R {
  if (!ctx.pseudonymizeUser || row.user_id === null) return row;
  return { ...row, user_id: ctx.pseudonymizeUser(row.user_id) };
}

// ---------------------------------------------------------------------------------------------
// Preparing a batch: pure, so it runs wherever the records are (the ingest function, the CLI).

/** One batch of records, normalized and ready to write. */
export interface PreparedBatch {
  /** Data rows, content policy and pseudonymization applied (`quarantine` is empty here). */
  data: RawBatch;
  /** Quarantine rows for bad input, content policy applied, one per quarantine_id. */
  quarantine: QuarantineRow[];
  /** entry_key of each data row -> index of its record in the batch (for row_rejected). */
  origins: Map<string, number>;
  /** Records in the batch. */
  read: number;
  /** Records of another resource type. */
  skipped: number;
  /** Records repeating an entry_key or quarantine_id seen earlier in the batch. */
  duplicates: number;
}

/**
 * Normalizes records one at a time into a batch, as they arrive (see prepareBatch, which is
 * this over an array): rows for the raw tables, quarantine rows for bad input, and the counts of
 * what was skipped or repeated within the batch. `quarantineTime` is the warehouse TIMESTAMP of
 * ctx.ingestTime (see toMicrosIso).
 */
class BatchPreparer {
  /** The records added, in order (a data row's origin is its index here). */
  readonly records: RawRecord[] = [];
  private readonly data = emptyBatch();
  private readonly quarantine: QuarantineRow[] = [];
  private readonly quarantineIds = new Set<string>();
  private readonly origins = new Map<string, number>();
  private skipped = 0;
  private duplicates = 0;

  constructor(
    private readonly ctx: NormalizeContext,
    private readonly quarantineTime: string,
  ) {}

  /** Records added so far. */
  get size(): number {
    return this.records.length;
  }

  private textChars = 0;

  /** Characters of record text added so far. */
  get chars(): number {
    return this.textChars;
  }

  add(record: RawRecord): void {
    const ctx = this.ctx;
    const mode = ctx.contentMode;
    const i = this.records.length;
    this.records.push(record);
    this.textChars += record.text.length;
    const outcome = normalizeText(record.text, ctx);
    switch (outcome.kind) {
      case 'skipped':
        this.skipped++;
        return;
      case 'quarantined': {
        const added = addQuarantineRow(
          this.quarantine,
          this.quarantineIds,
          {
            source: record.source,
            messageId: record.messageId ?? null,
            insertId: outcome.insertId,
            reason: outcome.reason,
            detail: outcome.detail,
            raw: record.text,
            quarantineTime: this.quarantineTime,
          },
          mode,
        );
        if (!added) this.duplicates++;
        return;
      }
    }
    if (this.origins.has(outcome.row.entry_key)) {
      this.duplicates++;
      return;
    }
    this.origins.set(outcome.row.entry_key, i);
    const data = this.data;
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
  }

  /** The batch of the records added. */
  finish(): PreparedBatch {
    return {
      data: this.data,
      quarantine: this.quarantine,
      origins: this.origins,
      read: this.records.length,
      skipped: this.skipped,
      duplicates: this.duplicates,
    };
  }
}

/** Normalizes a batch of records (see BatchPreparer). */
export function prepareBatch(
  records: readonly RawRecord[],
  ctx: NormalizeContext,
  quarantineTime: string,
): PreparedBatch {
  const preparer = new BatchPreparer(ctx, quarantineTime);
  for (const record of records) preparer.add(record);
  return preparer.finish();
}

// ---------------------------------------------------------------------------------------------
// Writing batches.

/** A prepared batch as the writer needs it, however its rows travel to the warehouse. */
export interface BatchToWrite {
  read: number;
  skipped: number;
  duplicates: number;
  /** Data rows in the batch (all tables). */
  dataRows: number;
  /** Quarantine rows for bad input. */
  quarantine: QuarantineRow[];
  /** Writes the data rows. */
  insert(): Promise<InsertResult>;
  /** The record a data row came from and the row's insert_id, for a row the warehouse rejects. */
  origin(key: string): { record: RawRecord; insertId: string | null } | undefined;
}

/** The record behind the data row `key` of a prepared batch, and that row's insert_id. */
export function originOf(
  prepared: PreparedBatch,
  records: readonly RawRecord[],
  key: string,
): { record: RawRecord; insertId: string | null } | undefined {
  const i = prepared.origins.get(key);
  const record = i === undefined ? undefined : records[i];
  return record && { record, insertId: insertIdOfRow(prepared.data, key) };
}

/**
 * The quarantine input of a data row the warehouse rejected (InsertResult.rejected), on behalf
 * of the record it came from (`origin`, from originOf): the local job and the functions' group
 * commit quarantine such rows alike.
 */
export function rejectedRowInput(
  rejected: { table: string; detail: string },
  origin: ReturnType<typeof originOf>,
  quarantineTime: string,
): QuarantineInput {
  return {
    source: origin?.record.source ?? 'unknown',
    messageId: origin?.record.messageId ?? null,
    insertId: origin?.insertId ?? null,
    reason: 'row_rejected',
    detail: `${rejected.table}: ${rejected.detail}`,
    raw: origin?.record.text ?? '',
    quarantineTime,
  };
}

/** A batch prepared in this thread, written with warehouse.insertRaw. */
export function batchToWrite(
  prepared: PreparedBatch,
  records: readonly RawRecord[],
  warehouse: Warehouse,
): BatchToWrite {
  return {
    read: prepared.read,
    skipped: prepared.skipped,
    duplicates: prepared.duplicates,
    dataRows: prepared.origins.size,
    quarantine: prepared.quarantine,
    insert: () => warehouse.insertRaw(prepared.data),
    origin: (key) => originOf(prepared, records, key),
  };
}

/**
 * Writes batches in order with at most one write in flight, and keeps the counts. The
 * warehouse works on its own threads (DuckDB) or the network (BigQuery), so while one batch is
 * written the caller prepares the next; memory stays bounded by two batches. Writes stay in
 * order, one after the other, so each batch dedups against everything written before it.
 */
export class BatchWriter {
  readonly counts: IngestCounts = {
    read: 0,
    normalized: 0,
    duplicates: 0,
    quarantined: 0,
    skipped: 0,
  };
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly opts: {
      contentMode: NormalizeContext['contentMode'];
      quarantineTime: string;
      onBatch?: (counts: IngestCounts) => void;
    },
  ) {}

  /**
   * Waits for the write in flight (rethrowing its failure), then starts writing `batch`.
   * Resolves once the write has started, not when it is done.
   */
  async submit(batch: BatchToWrite): Promise<void> {
    await this.drain();
    this.counts.read += batch.read;
    this.counts.skipped += batch.skipped;
    this.counts.duplicates += batch.duplicates;
    const started = this.write(batch);
    // A failure is rethrown by the next drain; until then this marks it handled, so a write
    // failing while the next batch is prepared is not an unhandled rejection.
    started.catch(() => undefined);
    this.inFlight = started;
  }

  /** Waits for the last write and returns the totals. */
  async finish(): Promise<IngestCounts> {
    await this.drain();
    return { ...this.counts };
  }

  /**
   * Lets a write in flight settle, ignoring its failure: for when reading or preparing failed,
   * before the caller closes the warehouse (the failure propagating supersedes this one).
   */
  async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = null;
    if (pending) await pending.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = null;
    if (pending) await pending;
  }

  private async write(batch: BatchToWrite): Promise<void> {
    const counts = this.counts;
    const quarantine = batch.quarantine;
    if (batch.dataRows > 0) {
      const result: InsertResult = await batch.insert();
      const rejected = result.rejected.filter((r) => r.table !== 'quarantine');
      counts.duplicates += result.duplicates;
      counts.normalized += batch.dataRows - result.duplicates - rejected.length;
      const ids = new Set(quarantine.map((q) => q.quarantine_id));
      for (const r of rejected) {
        const added = addQuarantineRow(
          quarantine,
          ids,
          rejectedRowInput(r, batch.origin(r.key), this.opts.quarantineTime),
          this.opts.contentMode,
        );
        if (!added) counts.duplicates++;
      }
    }
    if (quarantine.length > 0) await this.writeQuarantine(quarantine);
    this.opts.onBatch?.({ ...counts });
  }

  private async writeQuarantine(rows: QuarantineRow[]): Promise<void> {
    const duplicates = await writeQuarantineRows(this.warehouse, rows);
    this.counts.duplicates += duplicates;
    this.counts.quarantined += rows.length - duplicates;
  }
}

/**
 * Writes quarantine rows; returns how many were already stored (duplicates). A row the warehouse
 * refuses (e.g. raw text too odd for the engine) is written again without its raw text, keeping
 * the fact, its reason and raw_bytes; a row refused even then throws (the caller fails, and the
 * input is retried or dead-lettered rather than lost). The one quarantine write of both ingest
 * paths (BatchWriter, the function's group commit).
 */
export async function writeQuarantineRows(
  warehouse: Warehouse,
  rows: QuarantineRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await warehouse.insertRaw({ ...emptyBatch(), quarantine: rows });
  if (result.rejected.length === 0) return result.duplicates;
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
  return result.duplicates + again.duplicates;
}

/**
 * Records normalized between two turns of the event loop. The records of a file arrive without
 * one (the reader's buffer is ahead), and the warehouse's completions (DuckDB runs a batch's
 * three INSERTs one after the other, each started by the completion of the one before) wait for
 * a turn: normalizing a whole batch in one go left DuckDB idle for most of it, and the next
 * submit then waited for the rest of the write. ~2 ms of normalization between turns.
 */
const YIELD_RECORDS = 512;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
  const batchChars = Math.max(1, Math.floor(opts.batchChars ?? Infinity));
  const quarantineTime = toMicrosIso(ctx.ingestTime);
  const writer = new BatchWriter(warehouse, {
    contentMode: ctx.contentMode,
    quarantineTime,
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  });
  let preparer = new BatchPreparer(ctx, quarantineTime);
  const submit = async (): Promise<void> => {
    const full = preparer;
    preparer = new BatchPreparer(ctx, quarantineTime);
    const prepared = full.finish();
    if (opts.eventDays) addEventDays(prepared.data, opts.eventDays);
    await writer.submit(batchToWrite(prepared, full.records, warehouse));
  };
  try {
    let sinceYield = 0;
    for await (const record of records) {
      // Normalized as it arrives, not a whole batch at once: see YIELD_RECORDS.
      preparer.add(record);
      if (preparer.size >= batchSize || preparer.chars >= batchChars) {
        await submit();
      } else if (++sinceYield >= YIELD_RECORDS) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    if (preparer.size > 0) await submit();
    return await writer.finish();
  } finally {
    await writer.settle();
  }
}

/** Adds the event days of a batch's data rows (event_timestamp is ISO text: its first 10). */
function addEventDays(batch: RawBatch, days: Set<string>): void {
  for (const rows of [batch.requests, batch.responses, batch.metadata_events]) {
    for (const row of rows) days.add(row.event_timestamp.slice(0, 10));
  }
}

function insertIdOfRow(batch: RawBatch, key: string): string | null {
  for (const rows of [batch.requests, batch.responses, batch.metadata_events]) {
    for (const row of rows) if (row.entry_key === key) return row.insert_id;
  }
  return null;
}
