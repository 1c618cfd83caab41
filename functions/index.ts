/**
 * Registers all three targets in one module, for `npx functions-framework --target=NAME` from the
 * built package (`main` is `dist/functions/index.js`). Deployed functions use one bundle per
 * entry point instead (infra/bundle.ts).
 */
import './ingest';
import './recompute';
import './retention';
