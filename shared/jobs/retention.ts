/**
 * The retention job (function `retention`, `gca-analytics retention`): under the `retention`
 * lease, with the policy from the state store (defaults from configuration),
 * 1. processes pending erasure requests (shared/jobs/erasure.ts);
 * 2. deletes raw rows older than `eventDays` and quarantine rows older than `quarantineDays`;
 * 3. nulls every content column (registry `content` flags, payload included) of raw rows older
 *    than `contentDays`: the rows, and so every figure, stay; rows of interactions saved in a
 *    curated dataset keep theirs (policy `keepDatasetContent`, on unless false) and are counted;
 * 4. appends an audit row to `gca_analytics.retention_runs`.
 * Derived tables are kept (they hold no content). A dry run counts, per table and action, what
 * would change and changes nothing but the audit row (marked dry_run). Cutoffs are computed here
 * from the injected clock and passed as TIMESTAMP parameters, so every statement filters on the
 * partition column. Running it twice changes nothing the second time.
 */
import { randomUUID } from 'node:crypto';
import {
  contentExpirySql,
  insertRetentionRunSql,
  rowExpirySql,
  type CountedStatement,
  type RetentionChange,
} from '../sql/retention';
import { toMicrosIso } from '../normalize/time';
import {
  DEFAULT_RETENTION_POLICY,
  RetentionPolicySchema,
  type RetentionPolicy,
  type StateStore,
} from '../state/port';
import type { RawTableName } from '../tables/registry';
import type { QueryParams, Warehouse } from '../warehouse/port';
import { processErasureRequests, type ErasureDeps, type ErasureOutcome } from './erasure';

/** Name of the lease in the state store. */
export const RETENTION_JOB = 'retention';
/** A run holds the lease at most this long; a crashed run frees it after that. */
export const RETENTION_LEASE_TTL_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** Raw tables in the order expiry visits them. */
const EXPIRY_TABLES: readonly RawTableName[] = [
  'requests',
  'responses',
  'metadata_events',
  'quarantine',
];

/** The ports and clock of a run: those of the erasure it runs (by raw id through the pseudonymizer). */
export type RetentionDeps = ErasureDeps;

export interface RetentionOptions {
  dryRun?: boolean;
  /** Policy used when the state store holds none (configuration: GCA_CONTENT_DAYS, ...). */
  defaults?: RetentionPolicy;
  /** Lease holder id (default: a random one). */
  holder?: string;
}

export interface RetentionCutoffs {
  /** Content of rows with event_timestamp (quarantine_time) before this is nulled. */
  content: string;
  /** Raw rows with event_timestamp before this are deleted. */
  event: string;
  /** Quarantine rows with quarantine_time before this are deleted. */
  quarantine: string;
}

export interface RetentionResult {
  /** `locked`: another run holds the lease; nothing was done and no audit row written. */
  status: 'done' | 'locked';
  runId: string;
  /** The run's clock, TIMESTAMP convention. */
  runTime: string;
  dryRun: boolean;
  policy: RetentionPolicy;
  cutoffs: RetentionCutoffs;
  /** Rows changed (dry run: that would change) per table and action, zeros included. */
  changes: RetentionChange[];
  erasures: ErasureOutcome[];
  erasuresDone: number;
  erasuresPending: number;
  /** Raw rows past content expiry kept (dry run: that would be kept) for curated datasets. */
  datasetContentKept: number;
}

/** Cutoffs of a policy at `now`: now minus the days, in the warehouse TIMESTAMP convention. */
export function retentionCutoffs(now: Date, policy: RetentionPolicy): RetentionCutoffs {
  const at = (days: number) => toMicrosIso(new Date(now.getTime() - days * DAY_MS));
  return {
    content: at(policy.contentDays),
    event: at(policy.eventDays),
    quarantine: at(policy.quarantineDays),
  };
}

/** The policy in force: the state store's, else the configured defaults, else the built-in. */
async function effectivePolicy(
  state: StateStore,
  defaults?: RetentionPolicy,
): Promise<RetentionPolicy> {
  const stored = await state.getRetentionPolicy();
  return RetentionPolicySchema.parse(stored ?? defaults ?? DEFAULT_RETENTION_POLICY);
}

async function runStatement(
  warehouse: Warehouse,
  stmt: CountedStatement,
  params: QueryParams,
  dryRun: boolean,
): Promise<number> {
  if (dryRun) {
    const rows = await warehouse.query<{ n: number }>(stmt.countSql, params);
    return Number(rows[0]?.n ?? 0);
  }
  return warehouse.execute(stmt.sql, params);
}

/** Adds erasure counts into the change list (action `erased`). */
function erasureChanges(outcomes: readonly ErasureOutcome[]): RetentionChange[] {
  const totals = new Map<string, number>();
  for (const o of outcomes) {
    for (const [table, n] of Object.entries(o.counts))
      totals.set(table, (totals.get(table) ?? 0) + n);
  }
  return [...totals].map(([table, rows]) => ({ table, action: 'erased' as const, rows }));
}

/**
 * Runs retention once (see the module comment). Returns `locked` when another run holds the
 * `retention` lease. Warehouse errors of the expiry statements propagate (the scheduler
 * retries; every statement is idempotent); a failing erasure request stays pending instead.
 *
 * A job's entry: ports, options, a clock (as runRecompute): alike by shape only.
 */
export async function runRetention(
  deps: RetentionDeps,
  opts: RetentionOptions = {},
): Promise<RetentionResult> {
  const clock = deps.now ?? (() => new Date());
  const start = clock();
  const dryRun = opts.dryRun === true;
  const policy = await effectivePolicy(deps.state, opts.defaults);
  const cutoffs = retentionCutoffs(start, policy);
  const result: RetentionResult = {
    status: 'locked',
    runId: randomUUID(),
    runTime: toMicrosIso(start),
    dryRun,
    policy,
    cutoffs,
    changes: [],
    erasures: [],
    erasuresDone: 0,
    erasuresPending: 0,
    datasetContentKept: 0,
  };
  const holder = opts.holder ?? `retention-${result.runId}`;
  const lease = await deps.state.acquireLease(RETENTION_JOB, holder, RETENTION_LEASE_TTL_MS, start);
  if (!lease) return result;
  try {
    const erasures = await processErasureRequests(
      {
        warehouse: deps.warehouse,
        state: deps.state,
        now: clock,
        ...(deps.pseudonymizeUser ? { pseudonymizeUser: deps.pseudonymizeUser } : {}),
      },
      { dryRun, holder },
    );

    const params: QueryParams = {
      content_cutoff: { type: 'TIMESTAMP', value: cutoffs.content },
      event_cutoff: { type: 'TIMESTAMP', value: cutoffs.event },
      quarantine_cutoff: { type: 'TIMESTAMP', value: cutoffs.quarantine },
    };
    const changes: RetentionChange[] = [];
    // Dataset members keep their content unless the policy says otherwise (see docs/privacy.md).
    const keepDatasets = policy.keepDatasetContent !== false;
    let datasetContentKept = 0;
    for (const table of EXPIRY_TABLES) {
      // Row expiry first: content expiry leaves rows past the row cutoff to it anyway.
      const expiry = contentExpirySql(table, { keepDatasets });
      for (const stmt of [rowExpirySql(table), expiry]) {
        const rows = await runStatement(deps.warehouse, stmt, params, dryRun);
        changes.push({ table: stmt.table, action: stmt.action, rows });
      }
      if (expiry.keptCountSql !== null) {
        const kept = await deps.warehouse.query<{ n: number }>(expiry.keptCountSql, params);
        datasetContentKept += Number(kept[0]?.n ?? 0);
      }
    }
    changes.push(...erasureChanges(erasures));

    const erasuresDone = erasures.filter((e) => e.status === 'done').length;
    const erasuresPending = erasures.length - erasuresDone;
    await deps.warehouse.execute(insertRetentionRunSql(policy, changes), {
      run_id: result.runId,
      run_time: { type: 'TIMESTAMP', value: result.runTime },
      dry_run: { type: 'BOOL', value: dryRun },
      erasures_done: { type: 'INT64', value: erasuresDone },
      erasures_pending: { type: 'INT64', value: erasuresPending },
      dataset_content_kept: { type: 'INT64', value: datasetContentKept },
    });
    return {
      ...result,
      status: 'done',
      changes,
      erasures,
      erasuresDone,
      erasuresPending,
      datasetContentKept,
    };
  } finally {
    await deps.state.releaseLease(lease);
  }
}
