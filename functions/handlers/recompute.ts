/**
 * `recompute` (Cloud Scheduler, hourly): rebuilds the suggestions touched since the watermark and
 * the daily tables of their days. Body (optional JSON): `{"full": true}` rebuilds everything,
 * `{"lookbackDays": N}` widens the window of event days, `{"dryRun": true}` reports what would
 * change without writing.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import { z } from 'zod';
import type { Config } from '../../shared/config';
import { createDepsProvider, type Deps, type DepsProvider } from '../../shared/deps';
import { createLogger, type LogFields, type Logger } from '../../shared/log';
import { createJobHandler, type JobOutcome } from './job';

export const RecomputeBodySchema = z
  .strictObject({
    full: z.boolean().optional(),
    lookbackDays: z.number().int().min(1).max(3650).optional(),
    dryRun: z.boolean().optional(),
  })
  .refine((b) => !(b.full && b.lookbackDays !== undefined), {
    message: 'full and lookbackDays exclude each other (a full rebuild has no window)',
  });
export type RecomputeBody = z.infer<typeof RecomputeBodySchema>;

export interface RecomputeHandlerOptions {
  deps?: DepsProvider;
  logger?: Logger;
  /** The clock of the run; tests inject one. */
  now?: () => Date;
  run?: (
    deps: Deps,
    body: RecomputeBody,
    config: Config,
    now: Date,
  ) => Promise<JobOutcome<LogFields>>;
}

async function runRecomputeJob(): Promise<JobOutcome<LogFields>> {
  throw new Error('runRecompute is not wired yet');
}

/** Builds the `recompute` HTTP handler for a parsed configuration. */
export function createRecomputeHandler(
  config: Config,
  options: RecomputeHandlerOptions = {},
): HttpFunction {
  const now = options.now ?? (() => new Date());
  const run = options.run ?? runRecomputeJob;
  return createJobHandler({
    name: 'recompute',
    bodySchema: RecomputeBodySchema,
    deps: options.deps ?? createDepsProvider(config),
    logger: options.logger ?? createLogger({ level: config.logLevel }),
    run: (deps, body) => run(deps, body, config, now()),
  });
}
