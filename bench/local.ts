/**
 * The local job against its peer, side by side in one run. What a user could do instead of
 * running this command on an export is load it with DuckDB's own JSON reader and write one
 * query; the command does more (validation, normalization, content policy, dedup, quarantine,
 * every metric), and this measures what that costs, as a ratio that the machine's load does not
 * move the way absolute figures do:
 *
 * - raw DuckDB: `CREATE TABLE raw AS SELECT * FROM read_json(FILE, format = 'array')` into a
 *   DuckDB file, then the spec's code acceptance rate (distinct accepted / distinct exposed
 *   `originalRequestId`s), in a child process;
 * - the job: `gca-analytics ingest FILE` (recompute included, as the command runs it) and then
 *   `gca-analytics report --json`, each a child process;
 * - the JS floor: reading the export and JSON.parse of it, nothing else, which any design that
 *   normalizes in JS (as the command does) cannot go under (see docs/performance.md).
 *
 * They run alternately (peer, floor, job, peer, floor, job, ...) and each figure is the median of
 * its runs, so a burst of load on the machine lands on all of them.
 *
 * Before/after: with `GCA_BENCH_BASELINE=DIR` (a built checkout of another version, as for the
 * ingest-function benchmark; its `dist/cli/main.js` itself is accepted too), each round runs that
 * build's job too (peer, floor, job, baseline job, ...), and the figures include its times and
 * whether its `report --json` is identical to this build's.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleFile } from '../cli/sample/generate';
import { CLI_SCRIPT, runNode, USAGE_LINES, type ChildRun } from './child';
import type { BenchOptions, BenchResult } from './types';

const FULL_ENTRIES = 200_000;
const QUICK_ENTRIES = 5_000;
const ROUNDS = 3;

/** The peer: DuckDB's JSON reader and the spec's code acceptance query, nothing else. */
const RAW_DUCKDB = `
const { DuckDBInstance } = require(process.env.GCA_BENCH_DUCKDB);
(async () => {
  const [file, db] = process.argv.slice(1);
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  const lit = (s) => "'" + s.replace(/'/g, "''") + "'";
  await conn.run('CREATE TABLE raw AS SELECT * FROM read_json(' + lit(file) + ", format = 'array')");
  const reader = await conn.runAndReadAll(\`
    SELECT COUNT(DISTINCT jsonPayload.codeAcceptance.originalRequestId)
         / COUNT(DISTINCT jsonPayload.codeExposure.originalRequestId) AS code_acceptance_rate
    FROM raw\`);
  const rate = reader.getRows()[0][0];
  conn.closeSync();
  instance.closeSync();
  process.stdout.write(JSON.stringify({ rate: Number(rate) }) + '\\n');${USAGE_LINES}
})().catch((err) => { console.error(err); process.exit(1); });
`;

/**
 * The floor of any design in which JS normalizes the entries, as this command does (one
 * normalizer for the functions and the command): reading the export and JSON.parse of it, in one
 * call, keeping nothing. The text is decoded the cheapest correct way (as Latin-1 when every byte
 * is ASCII, else as UTF-8). The command's reader, which splits the export into entries so that a
 * bad one is quarantined alone, costs more; the normalization, the content policy and loading the
 * rows into DuckDB come on top.
 */
const JS_PARSE_FLOOR = `
const { readFileSync } = require('node:fs');
const { isAscii } = require('node:buffer');
const bytes = readFileSync(process.argv[1]);
const entries = JSON.parse(bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8'));
process.stdout.write(JSON.stringify({ entries: entries.length }) + '\\n');${USAGE_LINES}
`;

interface JobRun {
  seconds: number;
  cpuSeconds: number;
  ingestSeconds: number;
  reportSeconds: number;
  peakRssBytes: number;
  codeAcceptanceRate: number | null;
  /** `report --json` as printed. */
  report: string;
}

async function runJob(mainJs: string, file: string, db: string): Promise<JobRun> {
  rmSync(db, { force: true });
  rmSync(`${db}.state.json`, { force: true });
  const env = { GCA_BENCH_MAIN: mainJs };
  const ingest = await runNode(CLI_SCRIPT, ['ingest', file, '--db', db, '--json'], env);
  const report = await runNode(CLI_SCRIPT, ['report', '--db', db, '--json'], env);
  const figures = JSON.parse(report.stdout) as { code?: { acceptanceRate?: number | null } };
  return {
    seconds: ingest.seconds + report.seconds,
    cpuSeconds: ingest.cpuSeconds + report.cpuSeconds,
    ingestSeconds: ingest.seconds,
    reportSeconds: report.seconds,
    peakRssBytes: Math.max(ingest.peakRssBytes, report.peakRssBytes),
    codeAcceptanceRate: figures.code?.acceptanceRate ?? null,
    report: report.stdout,
  };
}

/** One run of the peer (RAW_DUCKDB) on `file`, into a new DuckDB file `db`. */
export async function runPeer(file: string, db: string): Promise<ChildRun & { rate: number }> {
  rmSync(db, { force: true });
  const run = await runNode(RAW_DUCKDB, [file, db], {
    GCA_BENCH_DUCKDB: require.resolve('@duckdb/node-api'),
  });
  return { ...run, rate: (JSON.parse(run.stdout) as { rate: number }).rate };
}

async function runJsParseFloor(file: string, entries: number): Promise<ChildRun> {
  const run = await runNode(JS_PARSE_FLOOR, [file]);
  const parsed = (JSON.parse(run.stdout) as { entries: number }).entries;
  if (parsed !== entries) throw new Error(`JS parse floor read ${parsed} entries, not ${entries}`);
  return run;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;

/**
 * Alternating runs of the peer and the job (and the baseline's job, given `baselineJs`) on
 * `entries` generated entries.
 */
async function measure(
  mainJs: string,
  dir: string,
  entries: number,
  rounds: number,
  baselineJs: string | null = null,
  withFloor = false,
) {
  const file = join(dir, `export-${entries}.json`);
  await writeSampleFile(file, { seed: 20251008, entries, users: 200, days: 28 });
  const fileBytes = statSync(file).size;
  const peers: (ChildRun & { rate: number })[] = [];
  const jobs: JobRun[] = [];
  const baselines: JobRun[] = [];
  const floors: ChildRun[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      peers.push(await runPeer(file, join(dir, 'raw.duckdb')));
      // One string of the export: up to V8's longest string (512 MiB), so at the 1x size only.
      if (withFloor) floors.push(await runJsParseFloor(file, entries));
      jobs.push(await runJob(mainJs, file, join(dir, 'job.duckdb')));
      if (baselineJs) baselines.push(await runJob(baselineJs, file, join(dir, 'baseline.duckdb')));
    }
  } finally {
    rmSync(file, { force: true });
  }
  return { entries, fileBytes, peers, floors, jobs, baselines };
}

/** The baseline build's figures beside this build's (see the module comment). */
function baselineFigures(
  jobs: readonly JobRun[],
  baselines: readonly JobRun[],
  raw: number,
): { figures: Record<string, number>; lines: string[] } {
  if (baselines.length === 0) return { figures: {}, lines: [] };
  const seconds = median(baselines.map((b) => b.seconds));
  const cpu = median(baselines.map((b) => b.cpuSeconds));
  const rss = median(baselines.map((b) => b.peakRssBytes));
  const identical = jobs.every((j, i) => j.report === baselines[i]?.report);
  return {
    figures: {
      'local.baselineJobSeconds': Number(seconds.toFixed(2)),
      'local.baselineRatioToRawDuckDb': Number((seconds / raw).toFixed(2)),
      'local.baselineJobCpuSeconds': Number(cpu.toFixed(2)),
      'local.baselinePeakRssBytes': rss,
      'local.reportIdenticalToBaseline': identical ? 1 : 0,
    },
    lines: [
      `  baseline build (GCA_BENCH_BASELINE), same rounds: job ${seconds.toFixed(2)} s ` +
        `(ratio ${(seconds / raw).toFixed(2)}; per round ` +
        `${baselines.map((b) => b.seconds.toFixed(2)).join(', ')} vs ` +
        `${jobs.map((j) => j.seconds.toFixed(2)).join(', ')}), ${cpu.toFixed(1)} CPU s, ` +
        `peak RSS ${mib(rss)}; report --json ${identical ? 'identical' : 'DIFFERENT'}`,
    ],
  };
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const mainJs = join(__dirname, '..', 'cli', 'main.js');
  if (!existsSync(mainJs)) throw new Error(`${mainJs} not found: run \`npm run build\` first`);
  const n = opts.quick ? QUICK_ENTRIES : FULL_ENTRIES;
  const rounds = opts.quick ? 1 : ROUNDS;
  const dir = mkdtempSync(join(tmpdir(), 'gca-bench-local-'));
  try {
    const baselineDir = process.env.GCA_BENCH_BASELINE || null;
    const baselineJs =
      baselineDir && statSync(baselineDir, { throwIfNoEntry: false })?.isDirectory()
        ? join(baselineDir, 'dist', 'cli', 'main.js')
        : baselineDir;
    if (baselineJs && !existsSync(baselineJs)) throw new Error(`${baselineJs} not found`);
    const one = await measure(mainJs, dir, n, rounds, baselineJs, true);
    const two = await measure(mainJs, dir, 2 * n, 1);
    const raw = median(one.peers.map((p) => p.seconds));
    const job = median(one.jobs.map((j) => j.seconds));
    const ratios = one.jobs.map((j, i) => j.seconds / (one.peers[i]?.seconds ?? NaN));
    const floor = median(one.floors.map((f) => f.seconds));
    const rawCpu = median(one.peers.map((p) => p.cpuSeconds));
    const jobCpu = median(one.jobs.map((j) => j.cpuSeconds));
    const rss1 = median(one.jobs.map((j) => j.peakRssBytes));
    const rss2 = median(two.jobs.map((j) => j.peakRssBytes));
    // The same figure both ways: the job's report and the peer's one query must agree.
    const peerRate = one.peers[0]?.rate ?? NaN;
    const jobRate = one.jobs[0]?.codeAcceptanceRate ?? NaN;
    const baseline = baselineFigures(one.jobs, one.baselines, raw);
    return {
      figures: {
        'local.rawDuckDbSeconds': Number(raw.toFixed(2)),
        'local.jobSeconds': Number(job.toFixed(2)),
        'local.ratioToRawDuckDb': Number((job / raw).toFixed(2)),
        'local.jsParseFloorSeconds': Number(floor.toFixed(2)),
        'local.jsParseFloorRatioToRawDuckDb': Number((floor / raw).toFixed(2)),
        'local.rawDuckDbCpuSeconds': Number(rawCpu.toFixed(2)),
        'local.jobCpuSeconds': Number(jobCpu.toFixed(2)),
        'local.cpuRatioToRawDuckDb': Number((jobCpu / rawCpu).toFixed(2)),
        'local.ingestSeconds': Number(median(one.jobs.map((j) => j.ingestSeconds)).toFixed(2)),
        'local.reportSeconds': Number(median(one.jobs.map((j) => j.reportSeconds)).toFixed(2)),
        'local.peakRssBytes': rss1,
        'local.peakRssBytes2x': rss2,
        'local.peakRss2xTo1x': Number((rss2 / rss1).toFixed(2)),
        ...baseline.figures,
      },
      lines: [
        `${n.toLocaleString('en')} entries (${mib(one.fileBytes)} gcloud export), ${rounds} ` +
          'alternating rounds, medians:',
        `  raw DuckDB (read_json into a file + the code acceptance query): ${raw.toFixed(2)} s`,
        `  gca-analytics ingest + report: ${job.toFixed(2)} s (ingest ` +
          `${median(one.jobs.map((j) => j.ingestSeconds)).toFixed(2)} s with its recompute, report ` +
          `${median(one.jobs.map((j) => j.reportSeconds)).toFixed(2)} s), peak RSS ${mib(rss1)}`,
        `  ratio job / raw DuckDB: ${(job / raw).toFixed(2)} ` +
          `(per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target <= 2.0)`,
        `  CPU seconds (all threads): raw DuckDB ${rawCpu.toFixed(1)}, job ${jobCpu.toFixed(1)}: ` +
          `ratio ${(jobCpu / rawCpu).toFixed(2)}`,
        `  JS floor (read the export + JSON.parse, nothing else): ${floor.toFixed(2)} s, ` +
          `${(floor / raw).toFixed(2)} of raw DuckDB (docs/performance.md)`,
        `  code acceptance rate, raw query vs report: ${peerRate.toFixed(4)} vs ${Number(jobRate).toFixed(4)}`,
        ...baseline.lines,
        `${(2 * n).toLocaleString('en')} entries: job ${median(two.jobs.map((j) => j.seconds)).toFixed(2)} s, ` +
          `peak RSS ${mib(rss2)}; 2x / 1x peak RSS ${(rss2 / rss1).toFixed(2)} (target <= 1.3)`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
