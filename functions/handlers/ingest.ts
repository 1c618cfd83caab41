/** `ingest`: Pub/Sub push body or Pub/Sub CloudEvent -> raw tables. */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Config } from '../../shared/config';
import { createDepsProvider, type DepsProvider } from '../../shared/deps';
import { createLogger, type Logger } from '../../shared/log';
import { sendJson } from './http';

export interface IngestHandlerOptions {
  deps?: DepsProvider;
  logger?: Logger;
  now?: () => Date;
}

/** Builds the `ingest` HTTP handler for a parsed configuration. */
export function createIngestHandler(
  config: Config,
  options: IngestHandlerOptions = {},
): HttpFunction {
  const _deps = options.deps ?? createDepsProvider(config);
  const logger = (options.logger ?? createLogger({ level: config.logLevel })).child({
    component: 'ingest',
  });
  return (_req, res) => {
    // Thin until the ingest pipeline lands: a transient answer, so Pub/Sub keeps the message.
    sendJson(res, 503, {
      status: 'error',
      error: 'ingest pipeline not wired yet',
      retryable: true,
    });
    logger.summary('WARNING', 'ingest done', { status: 'failed' });
  };
}
