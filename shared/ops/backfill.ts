/**
 * Backfill: brings log history into the warehouse through the ingest path (the same
 * normalization, content policy, pseudonymization and entry keys as the live sink, so an entry
 * the sink also delivered is stored once), page by page, with a checkpoint in the state store
 * after each page is written: a run that stops (quota, network, Ctrl-C) is continued by the next
 * one with the same scope and range. Entries of erased users are dropped and counted. The caller
 * rebuilds the figures of the days touched (rebuild.ts): a run that fails rebuilds nothing, so the
 * checkpoint keeps the days written so far and the run that resumes rebuilds them with its own.
 *
 * Sources are pages of records with the checkpoint that follows them:
 * - the Cloud Logging API (entries.list, ascending timestamps): the checkpoint is the timestamp
 *   of the last entry written; a resumed run asks again from that timestamp (`>=`, so entries
 *   sharing it are read again and dedup'd), which stays valid when page tokens (24 h) have not;
 * - files exported to Cloud Storage, read in name order: the checkpoint is the last file written.
 */
import { sha256Base64Url } from '../normalize/entry-key';
import type { IngestCounts, NormalizeContext } from '../normalize/outcome';
import { ingestRecords, type RawRecord } from '../pipeline/ingest';
import type { StateStore } from '../state/port';
import type { Warehouse } from '../warehouse/port';
import { NO_ERASED_USERS, isOfErasedUser, type ErasedUsers } from './erased-users';

/** One page of a source and the checkpoint to store once its records are written. */
export interface BackfillPage {
  records: RawRecord[];
  checkpoint: string;
}

/** A source reads pages from a checkpoint (null: from the start). */
export type BackfillSource = (checkpoint: string | null) => AsyncIterable<BackfillPage>;

/** The checkpoint as stored (a watermark document of the state store). */
interface StoredCheckpoint {
  /** What the run reads (scope, range): a checkpoint only continues the same backfill. */
  scope: string;
  position: string | null;
  done: boolean;
  counts: BackfillCounts;
  /**
   * Event days (YYYY-MM-DD, sorted, distinct) of the entries read so far by the runs of this
   * backfill (a year is 365 short strings). Absent in checkpoints of earlier versions.
   */
  days?: string[];
}

export interface BackfillCounts extends IngestCounts {
  /** Entries of erased users: dropped before the write. */
  erased: number;
  pages: number;
}

export interface BackfillResult {
  counts: BackfillCounts;
  /**
   * Event days (YYYY-MM-DD, sorted) of the entries read by this backfill: this run's and, when it
   * resumed, those of the earlier runs it continues (kept in the checkpoint), whose figures were
   * not rebuilt since those runs failed. Empty when `alreadyDone`.
   */
  days: string[];
  /** True when this run continued from a checkpoint. */
  resumed: boolean;
  /** True when the checkpoint said this backfill had already completed: nothing was read. */
  alreadyDone: boolean;
}

/** The state-store name of a backfill's checkpoint: one per source scope and range. */
export function checkpointName(scope: string): string {
  return `backfill-${sha256Base64Url(scope).slice(0, 24)}`;
}

function zero(): BackfillCounts {
  return { read: 0, normalized: 0, duplicates: 0, quarantined: 0, skipped: 0, erased: 0, pages: 0 };
}

const DAY_OF = /"timestamp"\s*:\s*"(\d{4}-\d{2}-\d{2})T/;

/** The event day of an entry's text: its top-level timestamp (the last one in key order). */
function dayOf(text: string): string | null {
  try {
    const value = JSON.parse(text) as { timestamp?: unknown };
    const ts = typeof value.timestamp === 'string' ? value.timestamp : null;
    return ts && /^\d{4}-\d{2}-\d{2}T/.test(ts) ? ts.slice(0, 10) : null;
  } catch {
    return DAY_OF.exec(text)?.[1] ?? null;
  }
}

/**
 * Runs a backfill of `source` under the checkpoint of `scope` (see the module comment).
 * `restart` ignores a stored checkpoint. Warehouse and source errors propagate after the
 * checkpoint of the last page written was stored, so the next run continues from there.
 */
export async function runBackfill(
  deps: { warehouse: Warehouse; state: StateStore },
  opts: {
    scope: string;
    source: BackfillSource;
    context: NormalizeContext;
    erased?: ErasedUsers;
    restart?: boolean;
    onPage?: (counts: BackfillCounts) => void;
  },
): Promise<BackfillResult> {
  const name = checkpointName(opts.scope);
  const erased = opts.erased ?? NO_ERASED_USERS;
  const stored = opts.restart ? null : await readCheckpoint(deps.state, name, opts.scope);
  if (stored?.done) {
    return { counts: stored.counts, days: [], resumed: true, alreadyDone: true };
  }
  const total: BackfillCounts = stored ? { ...stored.counts } : zero();
  const days = new Set<string>(Array.isArray(stored?.days) ? stored.days : []);
  for await (const page of opts.source(stored?.position ?? null)) {
    const kept: RawRecord[] = [];
    for (const record of page.records) {
      if (isOfErasedUser(record.text, erased, opts.context)) {
        total.erased++;
        continue;
      }
      const day = dayOf(record.text);
      if (day) days.add(day);
      kept.push(record);
    }
    total.read += page.records.length - kept.length;
    const counts = await ingestRecords(kept, deps.warehouse, { context: opts.context });
    total.read += counts.read;
    total.normalized += counts.normalized;
    total.duplicates += counts.duplicates;
    total.quarantined += counts.quarantined;
    total.skipped += counts.skipped;
    total.pages++;
    await writeCheckpoint(deps.state, name, {
      scope: opts.scope,
      position: page.checkpoint,
      done: false,
      counts: total,
      days: [...days].sort(),
    });
    opts.onPage?.({ ...total });
  }
  await writeCheckpoint(deps.state, name, {
    scope: opts.scope,
    position: null,
    done: true,
    counts: total,
  });
  return { counts: total, days: [...days].sort(), resumed: stored !== null, alreadyDone: false };
}

async function readCheckpoint(
  state: StateStore,
  name: string,
  scope: string,
): Promise<StoredCheckpoint | null> {
  const text = await state.getWatermark(name);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as StoredCheckpoint;
    return value.scope === scope ? value : null;
  } catch {
    return null;
  }
}

async function writeCheckpoint(state: StateStore, name: string, value: StoredCheckpoint) {
  await state.setWatermark(name, JSON.stringify(value));
}
