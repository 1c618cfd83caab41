/**
 * Group commit for the `ingest` function: concurrent invocations of one instance share their
 * warehouse writes. Each request submits its prepared message (prepareBatch) and waits; the rows
 * of the requests in flight are gathered and written together when the group reaches `maxRows`
 * rows or about `maxBytes` bytes, or holds as many requests as the instance was serving when its
 * last write ended (see `expected`), or `delayMs` after its first request, whichever comes first
 * (so a message alone is never held longer than `delayMs`). Works above the Warehouse port, with
 * either adapter.
 *
 * What each request learns, and so what it answers:
 * - its promise resolves (the request answers 2xx) only after the write holding its rows, and
 *   the write of its quarantine rows, succeeded: its rows are durable (or quarantined);
 * - a transient failure of a shared write rejects every request in it (all answer non-2xx and
 *   Pub/Sub redelivers them); rows of the group that did land are written again on redelivery
 *   under the same key (BigQuery insertId = entry_key, DuckDB primary key), so no figure moves;
 * - a per-row rejection (InsertResult.rejected, by key) quarantines that row only, on behalf of
 *   the request it came from; the others are unaffected;
 * - a permanent refusal of the whole write (HTTP 413, reason `invalid`) is retried request by
 *   request, so only the request at fault is quarantined whole.
 *
 * BigQuery's insertAll limits: 10 MB per HTTP request, 50,000 rows per request, 500 rows
 * recommended. The adapter splits every write into requests within them; the limits here decide
 * how much one flush gathers, and default to one request's worth.
 */
import { ConfigError } from '../config';
import { describeError, errorMessage } from '../errors';
import type { IngestCounts, NormalizeContext } from '../normalize/outcome';
import type { QuarantineReason, QuarantineRow } from '../tables/registry';
import type { InsertResult, RawBatch, Warehouse } from '../warehouse/port';
import {
  addQuarantineRow,
  emptyBatch,
  originOf,
  rejectedRowInput,
  writeQuarantineRows,
  type PreparedBatch,
  type RawRecord,
} from './ingest';

/** When a group is written. */
export interface GroupCommitLimits {
  /** Rows (data and quarantine) that trigger a flush; BigQuery recommends 500 per request. */
  maxRows: number;
  /** Approximate bytes (characters of the entries' JSON) that trigger a flush. */
  maxBytes: number;
  /** The longest a request waits for others before its group is written; 0 writes at once. */
  delayMs: number;
}

/**
 * Defaults: one insertAll request's worth (500 rows; 5 MB, half of the 10 MB request limit, as
 * the byte count is of characters and a row can be larger than its entry), and 50 ms. Under a
 * steady load a group is written as soon as it is complete (see GroupCommit's `expected`), so the
 * delay only bounds the wait when fewer messages come than last time: 25 ms split the returning
 * deliveries of 64 in flight into two writes on a loaded 2-core machine (17-18 rows per insertAll
 * instead of 20-21); an answer late by 50 ms at most is nothing to Pub/Sub's ack deadline (s).
 */
export const DEFAULT_GROUP_COMMIT: GroupCommitLimits = {
  maxRows: 500,
  maxBytes: 5_000_000,
  delayMs: 50,
};

/** The environment variables of the limits, with their bounds (BigQuery's per-request limits). */
export const GROUP_COMMIT_ENV = {
  GCA_INGEST_FLUSH_ROWS: { key: 'maxRows', min: 1, max: 50_000 },
  GCA_INGEST_FLUSH_BYTES: { key: 'maxBytes', min: 1_000, max: 10_000_000 },
  GCA_INGEST_FLUSH_MS: { key: 'delayMs', min: 0, max: 1_000 },
} as const;

/**
 * Reads GCA_INGEST_FLUSH_ROWS, GCA_INGEST_FLUSH_BYTES and GCA_INGEST_FLUSH_MS (unset or empty:
 * the default). Throws ConfigError naming each bad variable.
 */
export function parseGroupCommitEnv(env: Record<string, string | undefined>): GroupCommitLimits {
  const limits = { ...DEFAULT_GROUP_COMMIT };
  const issues: string[] = [];
  for (const [name, { key, min, max }] of Object.entries(GROUP_COMMIT_ENV)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      issues.push(
        `${name}: expected an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`,
      );
    } else {
      limits[key] = value;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return limits;
}

/** One request's message, prepared (normalized, content policy applied). */
export interface Submission {
  prepared: PreparedBatch;
  /** The records of `prepared` (one Pub/Sub message: one record). */
  records: readonly RawRecord[];
  /** Warehouse TIMESTAMP of the request's ingest time, for quarantine rows made at write time. */
  quarantineTime: string;
}

/** What a flush did, for its one summary log line. */
export interface FlushReport {
  /** Requests in the flush. */
  requests: number;
  /** Requests answered ok, and their counts summed. */
  ok: number;
  counts: IngestCounts;
  /** Requests failed (they answer non-2xx), and the first failure. */
  failed: number;
  error: unknown;
  /** insertRaw calls made, and the data and quarantine rows they carried. */
  writes: number;
  rows: number;
  /** Milliseconds from the first request's submission to the end of the flush. */
  latencyMs: number;
  /** The submissions, in order, with whether each succeeded. */
  submissions: readonly { submission: Submission; ok: boolean }[];
}

export interface GroupCommitOptions {
  /** Runs a write with the warehouse (DepsProvider.useWarehouse): one call per flush. */
  useWarehouse: <T>(fn: (warehouse: Warehouse) => Promise<T>) => Promise<T>;
  limits?: Partial<GroupCommitLimits>;
  contentMode: NormalizeContext['contentMode'];
  /**
   * Write each request's rows with its own insertRaw call (still one warehouse session per
   * flush), so the warehouse's duplicate count is exact per request. For DuckDB, which counts
   * duplicates per call exactly; BigQuery's insertId dedup is silent (it reports 0), so there
   * one call carries the whole group.
   */
  writePerRequest?: boolean;
  /** Called once per flush, after every request of it is settled. */
  onFlush?: (report: FlushReport) => void;
}

/** A submission waiting in a group, with its outcome. */
interface Pending {
  submission: Submission;
  rows: number;
  resolve: (counts: IngestCounts) => void;
  reject: (err: unknown) => void;
}

/** Per-request state while a group is written. */
interface Share {
  pending: Pending;
  counts: IngestCounts;
  /** Data rows of this request in the write (after dropping repeats within the group). */
  dataRows: number;
  /** Quarantine rows of this request and their ids. */
  quarantine: QuarantineRow[];
  quarantineIds: Set<string>;
  failed: unknown;
}

const ROW_TABLES = ['requests', 'responses', 'metadata_events'] as const;

/**
 * A write in flight longer than this no longer holds the next group back (BigQuery answers in
 * tens of milliseconds; a call can hang up to the adapter's deadline, 47 s).
 */
const STALL_MS = 1_000;

/** Approximate bytes of a submission: the characters of its records' JSON text. */
function approximateBytes(records: readonly RawRecord[]): number {
  let n = 0;
  for (const r of records) n += r.text.length;
  return n;
}

/** Gathers the rows of concurrent requests into shared warehouse writes (see the module comment). */
export class GroupCommit {
  private readonly limits: GroupCommitLimits;
  private group: Pending[] = [];
  private groupRows = 0;
  private groupBytes = 0;
  private groupStart = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The current group's delay has passed; it is written once no write is in flight. */
  private due = false;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Writes in flight: when each started and how many requests it carries. */
  private readonly inFlight = new Map<Promise<void>, { started: number; requests: number }>();
  /**
   * Requests the instance was serving when its last write ended: the ones it answered, which
   * Pub/Sub follows with new messages as soon as their slots free up, and the ones waiting then.
   * A group that holds this many is complete and written at once (when no write is in flight)
   * instead of after the delay, so a steady load pays no delay at all and the delay can be long
   * enough for a loaded instance to gather all of its returning requests (DEFAULT_GROUP_COMMIT).
   * Unknown (Infinity) until the first write ends, so the first group waits for the delay; a
   * shrinking load costs one delay, then this adapts.
   */
  private expected = Infinity;

  constructor(private readonly opts: GroupCommitOptions) {
    this.limits = { ...DEFAULT_GROUP_COMMIT, ...opts.limits };
  }

  /**
   * Adds a request's prepared message to the current group. Resolves with the request's counts
   * once its rows are durably written (or quarantined); rejects when a write holding its rows
   * failed (answer non-2xx: Pub/Sub redelivers).
   */
  submit(submission: Submission): Promise<IngestCounts> {
    return new Promise<IngestCounts>((resolve, reject) => {
      const p = submission.prepared;
      const rows = Math.max(1, p.origins.size + p.quarantine.length);
      if (this.group.length === 0) this.groupStart = performance.now();
      this.group.push({ submission, rows, resolve, reject });
      this.groupRows += rows;
      this.groupBytes += approximateBytes(submission.records);
      const full = this.groupRows >= this.limits.maxRows || this.groupBytes >= this.limits.maxBytes;
      if (full || this.limits.delayMs === 0) this.flush();
      else if (this.group.length >= this.expected && this.inFlight.size === 0) this.flush();
      else if (!this.timer && !this.due) this.armTimer();
    });
  }

  /** The current group is due `delayMs` from now. */
  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = true;
      this.flushWhenIdle();
    }, this.limits.delayMs);
  }

  /**
   * Writes the due group unless a write is in flight: the group then keeps gathering until that
   * write ends (classic group commit: under load each write carries what arrived during the
   * previous one, so writes grow with the load instead of multiplying). A write in flight for
   * longer than STALL_MS (a hung connection, up to the adapter's call deadline) stops blocking.
   */
  private flushWhenIdle(): void {
    if (!this.due || this.group.length === 0) return;
    const now = performance.now();
    let oldest = now;
    for (const { started } of this.inFlight.values()) oldest = Math.min(oldest, started);
    const stalledIn = oldest + STALL_MS - now;
    if (this.inFlight.size === 0 || stalledIn <= 0) {
      this.flush();
      return;
    }
    this.stallTimer ??= setTimeout(() => {
      this.stallTimer = null;
      this.flushWhenIdle();
    }, stalledIn);
  }

  /** Starts writing the current group; a new group starts collecting at once. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.timer = null;
    this.stallTimer = null;
    this.due = false;
    const group = this.group;
    if (group.length === 0) return;
    const start = this.groupStart;
    this.group = [];
    this.groupRows = 0;
    this.groupBytes = 0;
    const done: Promise<void> = this.write(group, start).finally(() => {
      this.inFlight.delete(done);
      let serving = group.length + this.group.length;
      for (const { requests } of this.inFlight.values()) serving += requests;
      this.expected = serving;
      if (this.due && this.group.length > 0 && this.inFlight.size === 0) {
        // The requests this write just answered send their next messages now (Pub/Sub pushes
        // as slots free up): give them one more delay to join the waiting group.
        this.due = false;
        this.armTimer();
      }
    });
    this.inFlight.set(done, { started: performance.now(), requests: group.length });
  }

  private async write(group: Pending[], start: number): Promise<void> {
    const shares: Share[] = group.map((pending) => {
      const p = pending.submission.prepared;
      return {
        pending,
        counts: {
          read: p.read,
          normalized: 0,
          duplicates: p.duplicates,
          quarantined: 0,
          skipped: p.skipped,
        },
        dataRows: 0,
        quarantine: [...p.quarantine],
        quarantineIds: new Set(p.quarantine.map((q) => q.quarantine_id)),
        failed: undefined,
      };
    });
    const stats = { writes: 0, rows: 0 };
    try {
      await this.opts.useWarehouse(async (warehouse) => {
        const counted = countingWarehouse(warehouse, stats);
        if (this.opts.writePerRequest) {
          // Writes are not shared here: a request's failure is its own.
          for (const share of shares) {
            await this.writeShares(counted, [share]).catch((err: unknown) => {
              share.failed ??= err;
            });
          }
        } else {
          await this.writeShares(counted, shares);
        }
      });
    } catch (err) {
      // The warehouse could not be opened or a shared write failed: every request not yet
      // failed on its own fails with it.
      for (const share of shares) share.failed ??= err;
    }
    const report: FlushReport = {
      requests: shares.length,
      ok: 0,
      counts: { read: 0, normalized: 0, duplicates: 0, quarantined: 0, skipped: 0 },
      failed: 0,
      error: undefined,
      writes: stats.writes,
      rows: stats.rows,
      latencyMs: Math.round((performance.now() - start) * 10) / 10,
      submissions: shares.map((s) => ({
        submission: s.pending.submission,
        ok: s.failed === undefined,
      })),
    };
    for (const share of shares) {
      if (share.failed !== undefined) {
        report.failed++;
        report.error ??= share.failed;
        share.pending.reject(share.failed);
      } else {
        report.ok++;
        for (const k of Object.keys(report.counts) as (keyof IngestCounts)[]) {
          report.counts[k] += share.counts[k];
        }
        share.pending.resolve(share.counts);
      }
    }
    this.opts.onFlush?.(report);
  }

  /**
   * Writes the data rows of `shares` in one insertRaw call, quarantines rejected rows on behalf
   * of their requests, then writes every quarantine row. Throws a transient failure (all of
   * `shares` fail); marks a share failed when only its quarantine rows could not be written.
   */
  private async writeShares(warehouse: Warehouse, shares: Share[]): Promise<void> {
    const batch = emptyBatch();
    const owner = new Map<string, Share>();
    // The shares whose rows another share writes (request -> the owners it deferred to).
    const deferredTo = new Map<Share, Set<Share>>();
    for (const share of shares) {
      const data = share.pending.submission.prepared.data;
      for (const table of ROW_TABLES) {
        const out = batch[table] as { entry_key: string }[];
        for (const row of data[table] as { entry_key: string }[]) {
          // The same entry in two requests of one group (a sink's duplicate, a redelivery
          // racing the original): written once, a duplicate for the later request.
          const first = owner.get(row.entry_key);
          if (first) {
            share.counts.duplicates++;
            if (first !== share)
              deferredTo.set(share, (deferredTo.get(share) ?? new Set()).add(first));
            continue;
          }
          owner.set(row.entry_key, share);
          out.push(row);
          share.dataRows++;
        }
      }
    }
    if (owner.size > 0) {
      let result;
      try {
        result = this.opts.writePerRequest
          ? await warehouse.insertRaw(batch)
          : await insertTablesAtOnce(warehouse, batch);
      } catch (err) {
        const description = describeError(err);
        if (description.errorClass === 'transient' || !description.reason) throw err;
        if (shares.length > 1) {
          // Refused as a whole (too large, invalid): find the request at fault, one at a time.
          for (const share of shares) share.dataRows = 0;
          for (const share of shares) {
            share.counts.duplicates = share.pending.submission.prepared.duplicates;
            await this.writeShares(warehouse, [share]);
          }
          return;
        }
        this.quarantineWhole(shares[0] as Share, description.reason, description.signal, err);
        result = null;
      }
      if (result) this.account(shares, owner, result);
    }
    const rows = shares.flatMap((s) => s.quarantine);
    if (rows.length === 0) return;
    let duplicates: number;
    try {
      duplicates = await writeQuarantineRows(warehouse, rows);
    } catch (err) {
      // Only the requests with quarantine rows fail (and are redelivered); the data rows of
      // the others are written, and a redelivery rewrites nothing under a new key.
      for (const share of shares) if (share.quarantine.length > 0) share.failed ??= err;
      // A request that deferred a row to a failed one fails too: that row may be stored
      // nowhere (refused, its quarantine row not written), and when the two requests are one
      // message delivered twice, acking the second copy would settle it. Owners come first in
      // `shares`, so one pass in order follows chains.
      for (const share of shares) {
        for (const first of deferredTo.get(share) ?? []) {
          if (first.failed !== undefined) share.failed ??= first.failed;
        }
      }
      return;
    }
    attribute(
      shares.filter((s) => s.quarantine.length > 0),
      duplicates,
      (s) => s.quarantine.length,
      (s, d) => {
        s.counts.duplicates += d;
        s.counts.quarantined -= d;
      },
    );
    for (const share of shares) share.counts.quarantined += share.quarantine.length;
  }

  /** Counts a data write: duplicates by request, rejected rows quarantined for their request. */
  private account(
    shares: Share[],
    owner: Map<string, Share>,
    result: Awaited<ReturnType<Warehouse['insertRaw']>>,
  ): void {
    const rejectedBy = new Map<Share, number>();
    for (const r of result.rejected) {
      if (r.table === 'quarantine') continue;
      const share = owner.get(r.key);
      if (!share) continue;
      rejectedBy.set(share, (rejectedBy.get(share) ?? 0) + 1);
      const { prepared, records, quarantineTime } = share.pending.submission;
      const added = addQuarantineRow(
        share.quarantine,
        share.quarantineIds,
        rejectedRowInput(r, originOf(prepared, records, r.key), quarantineTime),
        this.opts.contentMode,
      );
      if (!added) share.counts.duplicates++;
    }
    const written = shares.filter((s) => s.dataRows > 0);
    for (const s of written) s.counts.normalized += s.dataRows - (rejectedBy.get(s) ?? 0);
    attribute(
      written,
      result.duplicates,
      (s) => s.dataRows - (rejectedBy.get(s) ?? 0),
      (s, d) => {
        s.counts.duplicates += d;
        s.counts.normalized -= d;
      },
    );
  }

  /** The warehouse refused a request's rows as a whole: one quarantine row for its message. */
  private quarantineWhole(
    share: Share,
    reason: QuarantineReason,
    signal: string,
    err: unknown,
  ): void {
    const { records, quarantineTime } = share.pending.submission;
    // The message is quarantined whole: each of its records is one quarantine row.
    share.quarantine = [];
    share.quarantineIds.clear();
    share.counts = {
      read: records.length,
      normalized: 0,
      duplicates: 0,
      quarantined: 0,
      skipped: 0,
    };
    for (const record of records) {
      const added = addQuarantineRow(
        share.quarantine,
        share.quarantineIds,
        {
          source: record.source,
          messageId: record.messageId ?? null,
          insertId: null,
          reason,
          detail: `${signal}: ${errorMessage(err)}`,
          raw: record.text,
          quarantineTime,
        },
        this.opts.contentMode,
      );
      if (!added) share.counts.duplicates++;
    }
    share.dataRows = 0;
  }
}

/**
 * insertRaw per table, the tables at once (BigQuery: one insertAll request per table, so a
 * flush costs one round trip, not one per table). A transient failure of any table fails the
 * whole write (rows that did land are rewritten under the same keys on redelivery); otherwise
 * the first failure is thrown.
 */
async function insertTablesAtOnce(warehouse: Warehouse, batch: RawBatch): Promise<InsertResult> {
  const parts: RawBatch[] = [];
  for (const table of ROW_TABLES) {
    if (batch[table].length === 0) continue;
    const part = emptyBatch();
    (part[table] as unknown[]) = batch[table];
    parts.push(part);
  }
  if (parts.length <= 1) return warehouse.insertRaw(batch);
  const settled = await Promise.allSettled(parts.map((part) => warehouse.insertRaw(part)));
  const failures: unknown[] = [];
  const merged: InsertResult = { inserted: 0, duplicates: 0, rejected: [] };
  for (const r of settled) {
    if (r.status === 'rejected') {
      failures.push(r.reason);
      continue;
    }
    merged.inserted += r.value.inserted;
    merged.duplicates += r.value.duplicates;
    merged.rejected.push(...r.value.rejected);
  }
  if (failures.length > 0) {
    throw failures.find((e) => describeError(e).errorClass === 'transient') ?? failures[0];
  }
  return merged;
}

/**
 * Spreads a write's duplicate count over the requests whose rows it carried. Exact with one
 * request (the writePerRequest mode) or when every row was a duplicate; otherwise in request
 * order (BigQuery, the combined mode, reports 0). Never more than a request's rows.
 */
function attribute(
  shares: Share[],
  total: number,
  rowsOf: (s: Share) => number,
  add: (s: Share, n: number) => void,
): void {
  let left = total;
  for (const s of shares) {
    const n = Math.min(left, Math.max(0, rowsOf(s)));
    if (n > 0) add(s, n);
    left -= n;
  }
}

/** The warehouse, counting insertRaw calls and rows for the flush's log line. */
function countingWarehouse(
  warehouse: Warehouse,
  stats: { writes: number; rows: number },
): Warehouse {
  return {
    engine: warehouse.engine,
    ensureSchema: () => warehouse.ensureSchema(),
    insertRaw: (batch: RawBatch) => {
      stats.writes++;
      stats.rows +=
        batch.requests.length +
        batch.responses.length +
        batch.metadata_events.length +
        batch.quarantine.length;
      return warehouse.insertRaw(batch);
    },
    query: (sql, params) => warehouse.query(sql, params),
    execute: (sql, params) => warehouse.execute(sql, params),
    close: () => warehouse.close(),
  };
}
