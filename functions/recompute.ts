/**
 * Entry point of the `recompute` function: parses the environment (a bad value fails start-up with
 * a message naming the variable) and registers the target `recompute` with functions-framework.
 * Clients are created on the first invocation, not here. Bundled on its own by infra/bundle.ts.
 */
import { http } from '@google-cloud/functions-framework';
import { installJsonErrorAnswers } from './handlers/framework-errors';
import { startupConfig } from './handlers/startup';
import { createRecomputeHandler } from './handlers/recompute';

installJsonErrorAnswers();
http('recompute', createRecomputeHandler(startupConfig('recompute')));
