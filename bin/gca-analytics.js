#!/usr/bin/env node
'use strict';
// The command is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('gca-analytics: not built yet; run `npm run build` (or `npm ci`) first\n');
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`gca-analytics: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
