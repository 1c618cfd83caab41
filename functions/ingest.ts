/**
 * Entry point of the `ingest` function: parses the environment (a bad value fails start-up with
 * a message naming the variable) and registers the target `ingest` with functions-framework.
 * Clients are created on the first invocation, not here. Bundled on its own by infra/bundle.ts.
 */
import { http } from '@google-cloud/functions-framework';
import { installJsonErrorAnswers } from './handlers/framework-errors';
import { startupConfig, startupGroupCommit } from './handlers/startup';
import { createIngestHandler } from './handlers/ingest';

installJsonErrorAnswers();
http('ingest', createIngestHandler(startupConfig('ingest'), { groupCommit: startupGroupCommit() }));
