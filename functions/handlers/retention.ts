/**
 * `retention` (Cloud Scheduler, hourly): rebuilds the suggestions touched since the watermark and
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

export const RetentionBodySchema = z
  .strictObject({
    full: z.boolean().optional(),
    lookbackDays: z.number().int().min(1).max(3650).optional(),
    dryRun: z.boolean().optional(),
  })
  .refine((b) => !(b.full && b.lookbackDays !== undefined), {
    message: 'full and lookbackDays exclude each other (a full rebuild has no window)',
  });
export type RetentionBody = z.infer<typeof RetentionBodySchema>;

export interface RetentionHandlerOptions {
  deps?: DepsProvider;
  logger?: Logger;
  /** The clock of the run; tests inject one. */
  now?: () => Date;
  run?: (
    deps: Deps,
    body: RetentionBody,
    config: Config,
    now: Date,
  ) => Promise<JobOutcome<LogFields>>;
}

async function runRetentionJob(): Promise<JobOutcome<LogFields>> {
  throw new Error('runRetention is not wired yet');
}

/** Builds the `retention` HTTP handler for a parsed configuration. */
export function createRetentionHandler(
  config: Config,
  options: RetentionHandlerOptions = {},
): HttpFunction {
  const now = options.now ?? (() => new Date());
  const run = options.run ?? runRetentionJob;
  return createJobHandler({
    name: 'retention',
    bodySchema: RetentionBodySchema,
    deps: options.deps ?? createDepsProvider(config),
    logger: options.logger ?? createLogger({ level: config.logLevel }),
    run: (deps, body) => run(deps, body, config, now()),
  });
}
