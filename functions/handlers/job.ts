/**
 * The HTTP adapter of a scheduled job (`recompute`, `retention`): Cloud Scheduler POSTs, with an
 * optional JSON body that overrides the window or asks for a dry run. The adapter validates the
 * body, runs the job through the ports and answers:
 * - 200 `{status: "ok", ...result}`;
 * - 200 `{status: "locked"}` when another run holds the job's lease (the second run exits cleanly);
 * - 400 `{status: "error", error}` for a bad body (retrying cannot help);
 * - 405 for a method other than POST;
 * - 503 `{status: "error", error, retryable: true}` for a transient failure, 500 for a permanent
 *   one; Scheduler retries a non-2xx answer according to its retry config.
 * It logs exactly one summary line per invocation.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import type { Config } from '../../shared/config';
import { createDepsProvider, type Deps, type DepsProvider } from '../../shared/deps';
import { describeError, errorMessage } from '../../shared/errors';
import { createLogger, type LogFields, type Logger } from '../../shared/log';
import { elapsedMs, readJsonBody, sendJson, traceFields } from './http';

/** What a job run returns: `locked` when the lease was held, else its result. */
export type JobOutcome<R extends LogFields> = { status: 'locked' } | { status: 'ok'; result: R };

export interface JobHandlerOptions<B, R extends LogFields> {
  /** The target name; also `component` in logs. */
  name: string;
  /** Validates the JSON body (`{}` when there is none). */
  bodySchema: z.ZodType<B>;
  deps: DepsProvider;
  logger: Logger;
  /** For the Cloud Logging trace field; null locally. */
  projectId: string | null;
  run(deps: Deps, body: B): Promise<JobOutcome<R>>;
  /** The result as logged on the summary line (default: as answered). */
  summarize?: (result: R) => LogFields;
}

/** What the job targets take besides their configuration (tests inject these). */
export interface JobTargetOptions {
  deps?: DepsProvider;
  logger?: Logger;
  /** The clock of the run; tests inject one. */
  now?: () => Date;
}

/** A job target: its name, body, run and log summary (see JobHandlerOptions). */
export interface JobTarget<B, R extends LogFields> {
  name: string;
  bodySchema: z.ZodType<B>;
  run(deps: Deps, body: B, config: Config, now?: () => Date): Promise<JobOutcome<R>>;
  summarize?: (result: R) => LogFields;
}

/**
 * The HTTP handler of a job target for a parsed configuration: the adapters and the logger
 * from the configuration unless `options` gives them.
 */
export function createJobTarget<B, R extends LogFields>(
  target: JobTarget<B, R>,
  config: Config,
  options: JobTargetOptions,
): HttpFunction {
  return createJobHandler({
    name: target.name,
    bodySchema: target.bodySchema,
    deps: options.deps ?? createDepsProvider(config),
    logger: options.logger ?? createLogger({ level: config.logLevel }),
    projectId: config.projectId,
    run: (deps, body) => target.run(deps, body, config, options.now),
    ...(target.summarize ? { summarize: target.summarize } : {}),
  });
}

/** One line per zod issue: `field: message`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/** Builds the HTTP handler of a job. */
export function createJobHandler<B, R extends LogFields>(
  options: JobHandlerOptions<B, R>,
): HttpFunction {
  const { name, bodySchema, deps, run } = options;
  const logger = options.logger.child({ component: name });
  return async (req, res) => {
    const start = performance.now();
    const log = logger.child(traceFields(req, options.projectId));
    const done = (severity: 'INFO' | 'WARNING' | 'ERROR', fields: LogFields): void =>
      log.summary(severity, `${name} done`, { ...fields, latencyMs: elapsedMs(start) });
    if (req.method !== 'POST') {
      res.set('allow', 'POST');
      sendJson(res, 405, { status: 'error', error: `${name} accepts POST only` });
      done('WARNING', { status: 'rejected', httpStatus: 405, error: `method ${req.method}` });
      return;
    }
    const reject = (error: string): void => {
      sendJson(res, 400, { status: 'error', error: `bad request body: ${error}` });
      done('WARNING', { status: 'rejected', httpStatus: 400, error });
    };
    const json = readJsonBody(req);
    if (!json.ok) return reject(json.error);
    const parsed = bodySchema.safeParse(json.value);
    if (!parsed.success) return reject(describeZodError(parsed.error));
    try {
      const outcome = await deps.use((d) => run(d, parsed.data));
      if (outcome.status === 'locked') {
        sendJson(res, 200, { status: 'locked' });
        done('INFO', { status: 'locked', httpStatus: 200 });
        return;
      }
      sendJson(res, 200, { status: 'ok', ...outcome.result });
      const logged = options.summarize ? options.summarize(outcome.result) : outcome.result;
      done('INFO', { status: 'ok', httpStatus: 200, result: logged });
    } catch (err) {
      const { errorClass, signal } = describeError(err);
      const httpStatus = errorClass === 'transient' ? 503 : 500;
      sendJson(res, httpStatus, {
        status: 'error',
        error: errorMessage(err),
        retryable: errorClass === 'transient',
      });
      done('ERROR', { status: 'failed', httpStatus, errorClass, signal, error: errorMessage(err) });
    }
  };
}
