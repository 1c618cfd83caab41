/**
 * `recompute` (Cloud Scheduler, hourly): `runRecompute` under its lease, incremental from the
 * watermark. Body (optional JSON): `{"full": true}` rebuilds everything, `{"lookbackDays": N}`
 * widens or narrows the window of event days for this run. Unknown keys are refused (400), so a
 * typo never silently runs the default.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import { z } from 'zod';
import type { Config } from '../../shared/config';
import type { Deps } from '../../shared/deps';
import {
  runRecompute,
  type RecomputeOptions,
  type RecomputeResult,
} from '../../shared/jobs/recompute';
import type { LogFields } from '../../shared/log';
import { createJobTarget, type JobOutcome, type JobTargetOptions } from './job';

export const RecomputeBodySchema = z
  .strictObject({
    full: z.boolean().optional(),
    lookbackDays: z.number().int().min(1).max(3650).optional(),
  })
  .refine((b) => !(b.full === true && b.lookbackDays !== undefined), {
    message: 'full and lookbackDays exclude each other (a full rebuild has no window)',
  });
export type RecomputeBody = z.infer<typeof RecomputeBodySchema>;

/** The JSON answer of a finished run (also the `result` of its summary log line). */
export type RecomputeSummary = Omit<RecomputeResult, 'status'> & LogFields;

export type RecomputeHandlerOptions = JobTargetOptions;

/** Runs recompute once for a validated body, with the configured default window. */
export async function recompute(
  deps: Deps,
  body: RecomputeBody,
  config: Config,
  now?: () => Date,
): Promise<JobOutcome<RecomputeSummary>> {
  const lookbackDays = body.lookbackDays ?? config.recomputeLookbackDays ?? undefined;
  const options: RecomputeOptions = {
    ...(body.full ? { full: true } : {}),
    ...(!body.full && lookbackDays !== undefined ? { lookbackDays } : {}),
  };
  const result = await runRecompute(
    { warehouse: deps.warehouse, state: deps.state, ...(now ? { now } : {}) },
    options,
  );
  const { status, ...summary } = result;
  return status === 'locked' ? { status } : { status: 'ok', result: summary };
}

/** Builds the `recompute` HTTP handler for a parsed configuration. */
export function createRecomputeHandler(
  config: Config,
  options: RecomputeHandlerOptions = {},
): HttpFunction {
  // One job target's description for createJobTarget (as retention.ts gives its own): alike by
  // shape only.
  return createJobTarget(
    {
      name: 'recompute',
      bodySchema: RecomputeBodySchema,
      run: recompute,
      // A full rebuild lists every day; the log keeps the count and the range.
      summarize: (r) => ({
        ...r,
        daysRebuilt: r.daysRebuilt.length,
        firstDay: r.daysRebuilt[0] ?? null,
        lastDay: r.daysRebuilt.at(-1) ?? null,
      }),
    },
    config,
    options,
  );
}
