/**
 * Cold start of the functions: the time a fresh Node process takes to import each built entry
 * point (`dist/functions/<name>.js`), which is what a new instance pays before it can serve.
 * SDK clients are created on the first invocation, so this measures our module graph plus
 * functions-framework. Each figure is the median of several fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './child';
import type { BenchOptions, BenchResult } from './types';

const TARGETS = ['ingest', 'recompute', 'retention'] as const;

/** Milliseconds to `require` a module in a fresh process (timed inside it, process start excluded). */
function importMs(file: string, env: NodeJS.ProcessEnv): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  const out = execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  const ms = Number(out.trim());
  if (!Number.isFinite(ms)) throw new Error(`cold-start: unexpected output ${out}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.round(value * 10) / 10;
}

/**
 * Measures the import time of each entry point, of functions-framework alone, and of the cloud
 * SDKs that the first invocation loads.
 */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const root = repoRoot();
  const runs = opts.quick ? 3 : 9;
  // The cloud configuration: what a deployed instance parses at start-up.
  const env = {
    PATH: process.env.PATH,
    GOOGLE_CLOUD_PROJECT: 'bench-project',
    GCA_WAREHOUSE: 'bigquery',
    GCA_STATE: 'firestore',
  };
  const figures: Record<string, number> = {};
  const lines: string[] = [];
  const measure = (label: string, file: string, figure: string): void => {
    if (!existsSync(file)) throw new Error(`cold-start: ${file} is missing; run npm run build`);
    const samples = Array.from({ length: runs }, () => importMs(file, env));
    figures[`coldStart.${figure}`] = median(samples);
    lines.push(
      `${label.padEnd(34)} ${median(samples).toFixed(1).padStart(7)} ms (median of ${runs})`,
    );
  };
  measure(
    'functions-framework alone',
    require.resolve('@google-cloud/functions-framework', { paths: [root] }),
    'frameworkImportMs',
  );
  for (const target of TARGETS) {
    measure(
      `import dist/functions/${target}.js`,
      path.join(root, 'dist', 'functions', `${target}.js`),
      `${target}ImportMs`,
    );
  }
  // Paid by the first invocation instead (clients are lazy): the cloud adapters and their SDKs.
  // ingest loads only BigQuery; recompute and retention load both.
  measure(
    'first use: BigQuery adapter + SDK',
    path.join(root, 'dist', 'shared', 'warehouse', 'bigquery', 'index.js'),
    'bigqueryAdapterImportMs',
  );
  measure(
    'first use: Firestore SDK',
    require.resolve('@google-cloud/firestore', { paths: [root] }),
    'firestoreSdkImportMs',
  );
  return { figures, lines };
}
