/**
 * Entry point of the `retention` function: parses the environment (a bad value fails start-up with
 * a message naming the variable) and registers the target `retention` with functions-framework.
 * Clients are created on the first invocation, not here. Bundled on its own by infra/bundle.ts.
 */
import { http } from '@google-cloud/functions-framework';
import { installJsonErrorAnswers } from './handlers/framework-errors';
import { startupConfig } from './handlers/startup';
import { createRetentionHandler } from './handlers/retention';

installJsonErrorAnswers();
http('retention', createRetentionHandler(startupConfig('retention')));
