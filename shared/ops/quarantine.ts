/**
 * Quarantine operations: list what is in `gca_raw.quarantine`, and reprocess it with today's
 * normalization. Runs on any Warehouse (BigQuery, DuckDB); the SQL is BigQuery Standard SQL.
 *
 * Reprocessing a row re-normalizes its stored `raw` text through the ingest path (prepareBatch:
 * the same keys, content policy and pseudonymization as ingest):
 * - it now normalizes: its row is written to the raw table (dedup by entry_key, so an entry the
 *   live path stored since is not counted twice), then the quarantine row is deleted;
 * - it still fails: the row stays, with the new reason and detail when they changed;
 * - another resource type: deleted (ingest skips those; nothing to keep);
 * - it belongs to an erased user: deleted, never written (counted);
 * - its raw was truncated at quarantine time (QUARANTINE_RAW_CHARS), or not kept (metadata-only
 *   mode, content expired): left alone, since the text is not the whole entry.
 * The write comes before the delete, so an interrupted run repeated finishes the job without
 * duplicates: reprocessing is idempotent.
 */
import type { NormalizeContext } from '../normalize/outcome';
import { toMicrosIso } from '../normalize/time';
import { emptyBatch, prepareBatch, QUARANTINE_RAW_CHARS, type RawRecord } from '../pipeline/ingest';
import type { QueryParams, Warehouse } from '../warehouse/port';
import { mentionsErasedUser, NO_ERASED_USERS, type ErasedUsers } from './erased-users';

const TABLE = '`gca_raw.quarantine`';

/** Filters of `quarantine list` and `quarantine reprocess`. */
export interface QuarantineFilter {
  reason?: string | null;
  /** First day (YYYY-MM-DD, UTC) of quarantine_time, inclusive. */
  from?: string | null;
  /** Last day (YYYY-MM-DD, UTC) of quarantine_time, inclusive. */
  to?: string | null;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** WHERE conditions and parameters for a filter (constants on the partition column). */
function whereOf(filter: QuarantineFilter): { conditions: string[]; params: QueryParams } {
  const conditions: string[] = [];
  const params: QueryParams = {};
  if (filter.reason) {
    conditions.push('reason = @reason');
    params.reason = filter.reason;
  }
  if (filter.from) {
    conditions.push('quarantine_time >= @from_time');
    params.from_time = { type: 'TIMESTAMP', value: `${filter.from}T00:00:00.000000Z` };
  }
  if (filter.to) {
    conditions.push('quarantine_time < @to_time');
    params.to_time = { type: 'TIMESTAMP', value: `${nextDay(filter.to)}T00:00:00.000000Z` };
  }
  return { conditions, params };
}

function where(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

export interface QuarantineReasonCount {
  reason: string;
  count: number;
  oldest: string;
  newest: string;
}

export interface QuarantineSample {
  quarantineId: string;
  quarantineTime: string;
  reason: string;
  source: string;
  messageId: string | null;
  insertId: string | null;
  detail: string | null;
  rawBytes: number;
  /** The stored raw text is cut short (see isTruncated): reprocess leaves the row alone. */
  truncated: boolean;
}

export interface QuarantineListing {
  total: number;
  byReason: QuarantineReasonCount[];
  samples: QuarantineSample[];
}

function text(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/**
 * True when a stored raw text is not the whole input: it was cut to QUARANTINE_RAW_CHARS when
 * the row was written. Scrubbing may have shortened it since, so any input of more bytes than
 * the cut whose stored text has fewer characters than that counts (an untruncated input of more
 * than 64 KiB of multi-byte text is then left alone too: the safe side). The same test runs in
 * SQL for `list` (LENGTH counts characters on both engines).
 */
export function isTruncated(raw: string | null, rawBytes: number): boolean {
  if (raw === null) return false;
  return rawBytes > QUARANTINE_RAW_CHARS && raw.length < rawBytes;
}

/** Counts by reason (most frequent first) and up to `samples` of the newest rows per reason. */
export async function listQuarantine(
  warehouse: Warehouse,
  filter: QuarantineFilter,
  opts: { samples?: number } = {},
): Promise<QuarantineListing> {
  const { conditions, params } = whereOf(filter);
  const counts = await warehouse.query<{
    reason: string;
    n: unknown;
    oldest: unknown;
    newest: unknown;
  }>(
    `SELECT reason, COUNT(*) AS n, MIN(quarantine_time) AS oldest, MAX(quarantine_time) AS newest
FROM ${TABLE}
${where(conditions)}
GROUP BY reason
ORDER BY n DESC, reason`,
    params,
  );
  const byReason = counts.map((r) => ({
    reason: r.reason,
    count: Number(r.n),
    oldest: text(r.oldest),
    newest: text(r.newest),
  }));
  const perReason = Math.max(0, Math.floor(opts.samples ?? 3));
  let samples: QuarantineSample[] = [];
  if (perReason > 0 && byReason.length > 0) {
    const rows = await warehouse.query<Record<string, unknown>>(
      `SELECT quarantine_id, quarantine_time, reason, source, message_id, insert_id, detail,
  raw_bytes, raw IS NOT NULL AND raw_bytes > @cut AND LENGTH(raw) < raw_bytes AS truncated
FROM ${TABLE}
${where(conditions.length > 0 ? conditions : ['TRUE'])}
QUALIFY ROW_NUMBER() OVER (PARTITION BY reason ORDER BY quarantine_time DESC, quarantine_id) <= @per_reason
ORDER BY reason, quarantine_time DESC, quarantine_id`,
      { ...params, per_reason: perReason, cut: QUARANTINE_RAW_CHARS },
    );
    samples = rows.map((r) => ({
      quarantineId: String(r.quarantine_id),
      quarantineTime: text(r.quarantine_time),
      reason: String(r.reason),
      source: String(r.source),
      messageId: r.message_id === null ? null : String(r.message_id),
      insertId: r.insert_id === null ? null : String(r.insert_id),
      detail: r.detail === null ? null : String(r.detail),
      rawBytes: Number(r.raw_bytes),
      truncated: r.truncated === true,
    }));
  }
  return { total: byReason.reduce((n, r) => n + r.count, 0), byReason, samples };
}

/** What reprocessing did, row by row (each row of the filter is in exactly one count). */
export interface ReprocessCounts {
  /** Rows looked at. */
  read: number;
  /** Normalized now: written to the raw tables (or already there) and removed from quarantine. */
  moved: number;
  /**
   * Of `moved`, rows whose entry was already stored (by the live path, or an earlier run). Exact
   * on DuckDB; on BigQuery, whose insertId dedup is silent, only repeats within a page are
   * counted (the rows are still stored once: recompute dedups by entry_key).
   */
  alreadyStored: number;
  /** Still failing: left in quarantine (with the new reason when it changed). */
  stillFailing: number;
  /** Of `stillFailing`, rows whose reason or detail changed. */
  reasonChanged: number;
  /** Another resource type: removed (ingest skips those). */
  skipped: number;
  /** Of erased users: removed, not written. */
  erased: number;
  /** Raw text truncated at quarantine time: left alone. */
  truncated: number;
  /** No raw text kept (metadata-only mode, or content expired): left alone. */
  noRaw: number;
}

export interface ReprocessResult {
  counts: ReprocessCounts;
  /** Event days (YYYY-MM-DD) of the rows written: the days to recompute. */
  days: string[];
  /** Still-failing rows by their new reason. */
  failingByReason: Record<string, number>;
}

interface StoredQuarantineRow {
  quarantine_id: string;
  source: string;
  message_id: string | null;
  reason: string;
  detail: string | null;
  raw: string | null;
  raw_bytes: unknown;
}

/** Rows read per query (keyset pagination on quarantine_id). */
export const REPROCESS_PAGE_ROWS = 500;

/**
 * Re-normalizes the quarantine rows of `filter` with today's code (see the module comment).
 * `context` is the ingest context (content mode, pseudonymizer, ingest time). Warehouse errors
 * propagate (BigQuery refuses DML on rows streamed in the last 30 minutes: run it again later);
 * what was done before stays done, and a second run finishes the rest.
 *
 * An operation's options, as each operation takes them (see replayDeadLetters).
 */
export async function reprocessQuarantine(
  warehouse: Warehouse,
  opts: {
    context: NormalizeContext;
    filter?: QuarantineFilter;
    erased?: ErasedUsers;
    dryRun?: boolean;
    onPage?: (counts: ReprocessCounts) => void;
  },
): Promise<ReprocessResult> {
  const erased = opts.erased ?? NO_ERASED_USERS;
  const quarantineTime = toMicrosIso(opts.context.ingestTime);
  const { conditions, params } = whereOf(opts.filter ?? {});
  const counts: ReprocessCounts = {
    read: 0,
    moved: 0,
    alreadyStored: 0,
    stillFailing: 0,
    reasonChanged: 0,
    skipped: 0,
    erased: 0,
    truncated: 0,
    noRaw: 0,
  };
  const days = new Set<string>();
  const failingByReason: Record<string, number> = {};
  let after = '';
  for (;;) {
    const page = await warehouse.query<StoredQuarantineRow>(
      `SELECT quarantine_id, source, message_id, reason, detail, raw, raw_bytes
FROM ${TABLE}
${where([...conditions, 'quarantine_id > @after'])}
ORDER BY quarantine_id
LIMIT ${REPROCESS_PAGE_ROWS}`,
      { ...params, after },
    );
    if (page.length === 0) break;
    after = page[page.length - 1]?.quarantine_id ?? after;
    counts.read += page.length;

    const data = emptyBatch();
    /** entry_key of each row to write -> the quarantine row it comes from. */
    const keys = new Map<string, string>();
    let moved: string[] = [];
    const removed: string[] = [];
    const changed = new Map<string, { reason: string; detail: string; ids: string[] }>();
    for (const row of page) {
      const rawBytes = Number(row.raw_bytes);
      if (row.raw === null) {
        counts.noRaw++;
        continue;
      }
      // An erased user's row goes, truncated or not (a truncated row keeps the ids it cut off).
      if (mentionsErasedUser(row.raw, erased)) {
        counts.erased++;
        removed.push(row.quarantine_id);
        continue;
      }
      if (isTruncated(row.raw, rawBytes)) {
        counts.truncated++;
        continue;
      }
      const record: RawRecord = { text: row.raw, source: row.source, messageId: row.message_id };
      const prepared = prepareBatch([record], opts.context, quarantineTime);
      if (prepared.skipped > 0) {
        counts.skipped++;
        removed.push(row.quarantine_id);
        continue;
      }
      const failure = prepared.quarantine[0];
      if (failure) {
        counts.stillFailing++;
        failingByReason[failure.reason] = (failingByReason[failure.reason] ?? 0) + 1;
        const detail = failure.detail ?? '';
        if (failure.reason !== row.reason || detail !== (row.detail ?? '')) {
          counts.reasonChanged++;
          const key = `${failure.reason}\u0000${detail}`;
          const group = changed.get(key) ?? {
            reason: failure.reason as string,
            detail,
            ids: [] as string[],
          };
          group.ids.push(row.quarantine_id);
          changed.set(key, group);
        }
        continue;
      }
      const rows = [
        ...prepared.data.requests,
        ...prepared.data.responses,
        ...prepared.data.metadata_events,
      ];
      const user = rows[0]?.user_id ?? null;
      if (user !== null && erased.ids.has(user)) {
        counts.erased++;
        removed.push(row.quarantine_id);
        continue;
      }
      counts.moved++;
      moved.push(row.quarantine_id);
      for (const r of rows) days.add(r.event_timestamp.slice(0, 10));
      // Two quarantine rows of one entry (e.g. quarantined by two sources) write one row.
      const fresh = <R extends { entry_key: string }>(list: R[]) =>
        list.filter((r) => {
          if (keys.has(r.entry_key)) return false;
          keys.set(r.entry_key, row.quarantine_id);
          return true;
        });
      data.requests.push(...fresh(prepared.data.requests));
      data.responses.push(...fresh(prepared.data.responses));
      data.metadata_events.push(...fresh(prepared.data.metadata_events));
    }

    if (!opts.dryRun) {
      const toWrite = data.requests.length + data.responses.length + data.metadata_events.length;
      if (toWrite > 0) {
        const result = await warehouse.insertRaw(data);
        counts.alreadyStored += result.duplicates + (moved.length - keys.size);
        // A row the warehouse refuses stays in quarantine, with that as its reason.
        const refused = new Set<string>();
        for (const r of result.rejected) {
          const id = keys.get(r.key);
          if (id === undefined || refused.has(id)) continue;
          refused.add(id);
          counts.moved--;
          counts.stillFailing++;
          counts.reasonChanged++;
          failingByReason.row_rejected = (failingByReason.row_rejected ?? 0) + 1;
          changed.set(`row_rejected\u0000${id}`, {
            reason: 'row_rejected',
            detail: `${r.table}: ${r.detail}`,
            ids: [id],
          });
        }
        moved = moved.filter((id) => !refused.has(id));
      }
      const gone = [...moved, ...removed];
      if (gone.length > 0) {
        await warehouse.execute(`DELETE FROM ${TABLE} WHERE quarantine_id IN UNNEST(@ids)`, {
          ids: gone,
        });
      }
      for (const group of changed.values()) {
        await warehouse.execute(
          `UPDATE ${TABLE} SET reason = @reason, detail = @detail WHERE quarantine_id IN UNNEST(@ids)`,
          { reason: group.reason, detail: group.detail, ids: group.ids },
        );
      }
    }
    opts.onPage?.({ ...counts });
    if (page.length < REPROCESS_PAGE_ROWS) break;
  }
  return { counts, days: [...days].sort(), failingByReason };
}
