/**
 * The `ingest` function under load, in its cloud configuration: the target served by
 * functions-framework's own CLI in a child process (a real server on a free loopback port,
 * GCA_WAREHOUSE=bigquery, the real BigQuery client and adapter) against a local endpoint that
 * answers `tabledata.insertAll` after a fixed latency (default 60 ms, GCA_BENCH_BQ_LATENCY_MS),
 * as BigQuery would from a nearby region. Pub/Sub push bodies are POSTed with 1, 8 and 64 in
 * flight (each delivery waits for its answer before the next is sent, as push does per slot).
 *
 * Reported per level: messages/s, CPU-ms per message (the function process's own user + system
 * time, read from /proc/PID/stat), insertAll calls and rows per call, p50/p99 answer latency, and
 * that every message was answered 200 and its row reached the endpoint (no message lost).
 *
 * Before/after: with GCA_BENCH_BASELINE=DIR (a built checkout of an earlier version, with its
 * node_modules) the same loads run against it too, alternating level by level, so both see the
 * same machine load; the ratios are the figures to trust on a shared machine.
 *
 * The child is pointed at the endpoint by a small bootstrap (the `--source` of the CLI) that
 * registers the target as functions/ingest.ts does, with the adapter's client given the
 * endpoint (`apiEndpoint`) and no credentials; the same bootstrap runs both versions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateSample } from '../cli/sample/generate';
import type { BenchOptions, BenchResult } from './types';

const LEVELS = [1, 8, 64] as const;
/** Messages per level: 10,000 at 64 in flight, fewer where each waits a whole round trip. */
const FULL_MESSAGES: Record<(typeof LEVELS)[number], number> = { 1: 300, 8: 2_000, 64: 10_000 };
const QUICK_MESSAGES: Record<(typeof LEVELS)[number], number> = { 1: 30, 8: 200, 64: 1_000 };
const PROJECT = 'bench-project';

/** The `--source` module of the child: registers `ingest` against the local endpoint. */
const BOOTSTRAP = `
const path = require('node:path');
const root = process.env.GCA_BENCH_ROOT;
const fromRoot = (m) => require(require.resolve(m, { paths: [root] }));
const dist = (m) => require(path.join(root, 'dist', m));
const { http } = fromRoot('@google-cloud/functions-framework');
const { PassThroughClient } = fromRoot('google-auth-library');
const { parseConfig } = dist('shared/config');
const { createDepsProvider } = dist('shared/deps');
const bq = dist('shared/warehouse/bigquery');
const { createIngestHandler } = dist('functions/handlers/ingest');
const startup = dist('functions/handlers/startup');
try { dist('functions/handlers/framework-errors').installJsonErrorAnswers(); } catch {}
const config = parseConfig(process.env);
const deps = createDepsProvider(config, {
  openWarehouse: async (c) =>
    bq.createBigQueryWarehouse({
      projectId: c.projectId,
      datasets: { gca_raw: c.rawDataset, gca_analytics: c.analyticsDataset },
      bigquery: bq.createBigQueryClient({
        projectId: c.projectId,
        apiEndpoint: process.env.GCA_BENCH_ENDPOINT,
        authClient: new PassThroughClient(),
      }),
    }),
  openState: () => Promise.reject(new Error('ingest does not use the state store')),
});
const options = { deps };
if (startup.startupGroupCommit) options.groupCommit = startup.startupGroupCommit();
http('ingest', createIngestHandler(config, options));
`;

interface Endpoint {
  url: string;
  writes: number;
  rows: number;
  insertIds: Set<string>;
  close(): Promise<void>;
}

/** A local insertAll endpoint: answers every call with success after `latencyMs`. */
async function startEndpoint(latencyMs: number): Promise<Endpoint> {
  const state = { writes: 0, rows: 0, insertIds: new Set<string>() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const answer = (status: number, value: unknown) =>
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
          res.end(JSON.stringify(value));
        }, latencyMs);
      if (req.method === 'POST' && /\/insertAll(\?|$)/.test(req.url ?? '')) {
        const parsed = JSON.parse(body.toString('utf8')) as { rows?: { insertId: string }[] };
        state.writes++;
        for (const row of parsed.rows ?? []) {
          state.rows++;
          state.insertIds.add(row.insertId);
        }
        answer(200, { kind: 'bigquery#tableDataInsertAllResponse' });
        return;
      }
      answer(404, { error: { code: 404, message: `not spoken here: ${req.method} ${req.url}` } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get writes() {
      return state.writes;
    },
    get rows() {
      return state.rows;
    },
    insertIds: state.insertIds,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** User + system CPU time of a process, in ms, from /proc/PID/stat (Linux). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

interface Child {
  process: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Starts `functions-framework --target=ingest` for the checkout at `root`. */
async function startFunction(root: string, endpoint: string, dir: string): Promise<Child> {
  const source = join(dir, 'bootstrap.js');
  writeFileSync(source, BOOTSTRAP);
  // The package's `bin` (what `npx functions-framework` runs): not in its exports map.
  const main = join(
    root,
    'node_modules',
    '@google-cloud',
    'functions-framework',
    'build',
    'src',
    'main.js',
  );
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      // GCA_BENCH_CPU_PROF=DIR: a V8 CPU profile of each function process, for `node --cpu-prof`
      // analysis of where its time per message goes.
      ...(process.env.GCA_BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GCA_BENCH_CPU_PROF}`]
        : []),
      main,
      '--target=ingest',
      `--source=${source}`,
      `--port=${port}`,
    ],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        GCA_WAREHOUSE: 'bigquery',
        GOOGLE_CLOUD_PROJECT: PROJECT,
        GCA_BENCH_ROOT: root,
        GCA_BENCH_ENDPOINT: endpoint,
        ...pickEnv(/^GCA_INGEST_FLUSH_/),
      },
      // stdout is the log stream (drained, as Cloud Logging's agent would read it).
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  if (process.env.GCA_BENCH_DEBUG) child.stdout?.pipe(process.stderr);
  else child.stdout?.resume();
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ingest exited: ${stderr.slice(-500)}`);
    const up = await new Promise<boolean>((r) => {
      const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/' }, (res) => {
        res.resume();
        r(true);
      });
      req.on('error', () => r(false));
      req.end();
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error('ingest did not start within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    port,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

function pickEnv(pattern: RegExp): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (pattern.test(k) && v) out[k] = v;
  return out;
}

/** Push bodies of `n` distinct metadata, request and response entries (generated, seeded). */
function pushBodies(n: number, offset: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (const entry of generateSample({ seed: 20251008 + offset, entries: n, duplicateRate: 0 })) {
    const id = `bench-${offset}-${i++}`;
    const data = Buffer.from(JSON.stringify(entry), 'utf8').toString('base64');
    out.push(
      JSON.stringify({
        message: { data, messageId: id, publishTime: new Date().toISOString() },
        subscription: 'projects/bench-project/subscriptions/gca-logs-push',
        deliveryAttempt: 1,
      }),
    );
  }
  return out;
}

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolvePost(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface LevelResult {
  inFlight: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  cpuMsPerMessage: number;
  writes: number;
  rowsPerWrite: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Pushes `bodies` with `inFlight` deliveries at a time against a fresh function process. */
async function runLevel(
  root: string,
  latencyMs: number,
  inFlight: number,
  bodies: string[],
  dir: string,
): Promise<LevelResult> {
  const endpoint = await startEndpoint(latencyMs);
  const child = await startFunction(root, endpoint.url, dir);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  try {
    // Warm-up (first client creation, JIT), not counted.
    for (const body of pushBodies(Math.min(inFlight * 2, 64), 999).slice(0, inFlight * 2)) {
      await post(agent, child.port, body);
    }
    const writes0 = endpoint.writes;
    const rows0 = endpoint.rows;
    const ids0 = endpoint.insertIds.size;
    const pid = child.process.pid as number;
    const cpu0 = cpuMsOf(pid);
    const latencies: number[] = [];
    let next = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++] as string;
          const t = performance.now();
          const status = await post(agent, child.port, body);
          latencies.push(performance.now() - t);
          if (status !== 200) failed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = cpuMsOf(pid) - cpu0;
    const writes = endpoint.writes - writes0;
    const rows = endpoint.rows - rows0;
    latencies.sort((a, b) => a - b);
    const stored = endpoint.insertIds.size - ids0;
    return {
      inFlight,
      messages: bodies.length,
      seconds,
      messagesPerSecond: bodies.length / seconds,
      cpuMsPerMessage: cpuMs / bodies.length,
      writes,
      rowsPerWrite: writes > 0 ? rows / writes : 0,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      // Not answered 200, or answered without its row reaching the endpoint (entries that
      // normalize to a row: the sample has no malformed or foreign ones).
      lost: failed + Math.max(0, bodies.length - stored),
    };
  } finally {
    agent.destroy();
    await child.stop();
    await endpoint.close();
  }
}

const round = (v: number, d: number): number => Number(v.toFixed(d));

function line(label: string, r: LevelResult): string {
  return (
    `${label.padEnd(7)} ${String(r.inFlight).padStart(2)} in flight, ` +
    `${r.messages.toLocaleString('en')} msgs: ${Math.round(r.messagesPerSecond)} msg/s, ` +
    `${r.cpuMsPerMessage.toFixed(2)} CPU-ms/msg, ${r.writes} writes ` +
    `(${r.rowsPerWrite.toFixed(1)} rows/write), p50 ${r.p50Ms.toFixed(0)} ms, ` +
    `p99 ${r.p99Ms.toFixed(0)} ms, lost ${r.lost}`
  );
}

/** The repository root: the nearest ancestor holding package.json (works from bench/ and dist/bench/). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
}

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const root = repoRoot();
  if (!existsSync(join(root, 'dist', 'functions', 'handlers', 'ingest.js'))) {
    throw new Error('ingest-function: dist/ is missing; run npm run build');
  }
  const baseline = process.env.GCA_BENCH_BASELINE ? resolve(process.env.GCA_BENCH_BASELINE) : null;
  const latencyMs = Number(process.env.GCA_BENCH_BQ_LATENCY_MS ?? 60);
  const counts = opts.quick ? QUICK_MESSAGES : FULL_MESSAGES;
  const dir = mkdtempSync(join(tmpdir(), 'gca-bench-ingest-fn-'));
  const figures: Record<string, number> = {};
  const lines: string[] = [
    `insertAll endpoint latency ${latencyMs} ms; function process CPU from /proc/PID/stat`,
  ];
  try {
    // GCA_BENCH_LEVELS=64 (or 1,8): only those levels, e.g. for a profile.
    const only = process.env.GCA_BENCH_LEVELS?.split(',').map(Number);
    for (const inFlight of LEVELS.filter((l) => !only || only.includes(l))) {
      const bodies = pushBodies(counts[inFlight], inFlight);
      const before = baseline ? await runLevel(baseline, latencyMs, inFlight, bodies, dir) : null;
      const after = await runLevel(root, latencyMs, inFlight, bodies, dir);
      const key = `ingestFunction.c${inFlight}`;
      figures[`${key}.messages`] = after.messages;
      figures[`${key}.messagesPerSecond`] = round(after.messagesPerSecond, 1);
      figures[`${key}.cpuMsPerMessage`] = round(after.cpuMsPerMessage, 3);
      figures[`${key}.writes`] = after.writes;
      figures[`${key}.rowsPerWrite`] = round(after.rowsPerWrite, 2);
      figures[`${key}.p50Ms`] = round(after.p50Ms, 1);
      figures[`${key}.p99Ms`] = round(after.p99Ms, 1);
      figures[`${key}.lost`] = after.lost;
      if (before) {
        figures[`${key}.before.messagesPerSecond`] = round(before.messagesPerSecond, 1);
        figures[`${key}.before.cpuMsPerMessage`] = round(before.cpuMsPerMessage, 3);
        figures[`${key}.before.rowsPerWrite`] = round(before.rowsPerWrite, 2);
        figures[`${key}.before.p50Ms`] = round(before.p50Ms, 1);
        figures[`${key}.before.p99Ms`] = round(before.p99Ms, 1);
        figures[`${key}.before.lost`] = before.lost;
        figures[`${key}.cpuRatio`] = round(after.cpuMsPerMessage / before.cpuMsPerMessage, 3);
        lines.push(line('before', before));
      }
      lines.push(line(baseline ? 'after' : 'ingest', after));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { figures, lines };
}
