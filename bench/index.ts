/**
 * `npm run bench [-- --json] [-- --quick] [-- --only NAME]`: runs every benchmark in this process
 * and prints its figures, as text or as one JSON object. Figures are measured, never asserted.
 */
import type { BenchModule, BenchResult } from './types';

/** Benchmarks in run order; each is `bench/<name>.ts`. */
const BENCHES: Record<string, () => Promise<BenchModule>> = {
  normalize: () => import('./normalize.js'),
  ingest: () => import('./ingest.js'),
  local: () => import('./local.js'),
  'sql-path': () => import('./sql-path.js'),
  scrub: () => import('./scrub.js'),
  'cold-start': () => import('./cold-start.js'),
  'ingest-function': () => import('./ingest-function.js'),
};

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  const names = Object.keys(BENCHES).filter((n) => !only || n === only);
  if (only && names.length === 0) {
    process.stderr.write(
      `bench: no benchmark named ${only} (have: ${Object.keys(BENCHES).join(', ')})\n`,
    );
    return 2;
  }
  const figures: Record<string, number> = {};
  for (const name of names) {
    const load = BENCHES[name];
    if (!load) continue;
    if (!json) process.stdout.write(`\n== ${name}\n`);
    const result: BenchResult = await (await load()).run({ quick });
    Object.assign(figures, result.figures);
    if (!json) for (const line of result.lines) process.stdout.write(`${line}\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
