/**
 * `retention` (Cloud Scheduler, daily): `runRetention` under its lease: pending erasure requests,
 * row expiry, content expiry, one audit row. The policy is the state store's (else the
 * GCA_*_DAYS defaults). Body (optional JSON): `{"dryRun": true}` counts what would change and
 * changes nothing but the audit row. The body cannot shorten the policy: deleting data takes a
 * policy change in the state store, not an HTTP call. Unknown keys are refused (400).
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import { z } from 'zod';
import type { Config } from '../../shared/config';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import type { Deps } from '../../shared/deps';
import { runRetention } from '../../shared/jobs/retention';
import { createJobTarget, type JobOutcome, type JobTargetOptions } from './job';

export const RetentionBodySchema = z.strictObject({
  dryRun: z.boolean().optional(),
});
export type RetentionBody = z.infer<typeof RetentionBodySchema>;

/** The JSON answer of a finished run. Erasures are reported by request id, never by user. */
export type RetentionSummary = {
  runId: string;
  runTime: string;
  dryRun: boolean;
  policy: { contentDays: number; eventDays: number; quarantineDays: number };
  cutoffs: { content: string; event: string; quarantine: string };
  changes: { table: string; action: string; rows: number }[];
  erasures: { id: string; status: string; error: string | null; attempts: number }[];
  erasuresDone: number;
  erasuresPending: number;
};

export type RetentionHandlerOptions = JobTargetOptions;

/** Runs retention once for a validated body, with the configured defaults and pseudonymizer. */
export async function retention(
  deps: Deps,
  body: RetentionBody,
  config: Config,
  now?: () => Date,
): Promise<JobOutcome<RetentionSummary>> {
  const result = await runRetention(
    {
      warehouse: deps.warehouse,
      state: deps.state,
      ...(now ? { now } : {}),
      // Erasure requests name raw user ids; the stored ids are pseudonyms when a key is set.
      ...(config.pseudonymizeKey
        ? { pseudonymizeUser: createPseudonymizer(config.pseudonymizeKey) }
        : {}),
    },
    { dryRun: body.dryRun === true, defaults: config.retentionDefaults },
  );
  if (result.status === 'locked') return { status: 'locked' };
  return {
    status: 'ok',
    result: {
      runId: result.runId,
      runTime: result.runTime,
      dryRun: result.dryRun,
      policy: { ...result.policy },
      cutoffs: { ...result.cutoffs },
      changes: result.changes.map((c) => ({ table: c.table, action: c.action, rows: c.rows })),
      erasures: result.erasures.map((e) => ({
        id: e.id,
        status: e.status,
        error: e.error,
        attempts: e.attempts,
      })),
      erasuresDone: result.erasuresDone,
      erasuresPending: result.erasuresPending,
    },
  };
}

/** Builds the `retention` HTTP handler for a parsed configuration. */
export function createRetentionHandler(
  config: Config,
  options: RetentionHandlerOptions = {},
): HttpFunction {
  // One job target's description for createJobTarget (as recompute.ts gives its own): alike by
  // shape only.
  return createJobTarget(
    {
      name: 'retention',
      bodySchema: RetentionBodySchema,
      run: retention,
      // Only the rows actually changed, and erasures as counts: one short line.
      summarize: (r) => ({
        runId: r.runId,
        dryRun: r.dryRun,
        policy: r.policy,
        changes: r.changes.filter((c) => c.rows > 0),
        erasuresDone: r.erasuresDone,
        erasuresPending: r.erasuresPending,
      }),
    },
    config,
    options,
  );
}
