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
 * The child runs the function's own entry point (dist/functions/ingest.js, as Cloud Run
 * functions load it) pointed at the endpoint by BIGQUERY_EMULATOR_HOST (no credentials looked
 * up), so each checkout is measured exactly as it would run.
 *
 * Bounded: a level stops at its first failed answer (a misconfigured endpoint once made every
 * message wait out the client's retries, and a run took over 18 minutes to report nothing), and
 * a delivery not answered within ANSWER_TIMEOUT_MS counts as failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateSample } from '../cli/sample/generate';
import { repoRoot } from './child';
import type { BenchOptions, BenchResult } from './types';

const LEVELS = [1, 8, 64] as const;
/** Messages per level: 10,000 at 64 in flight, fewer where each waits a whole round trip. */
const FULL_MESSAGES: Record<(typeof LEVELS)[number], number> = { 1: 300, 8: 2_000, 64: 10_000 };
const QUICK_MESSAGES: Record<(typeof LEVELS)[number], number> = { 1: 30, 8: 200, 64: 1_000 };
const PROJECT = 'bench-project';
/** Above the adapter's call deadline (47 s): an answer this late is a hang, not a figure. */
const ANSWER_TIMEOUT_MS = 60_000;

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
  /** The end of what the process wrote (its log lines), to say why a level failed. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `functions-framework --target=ingest` for the checkout at `root`. */
async function startFunction(root: string, endpoint: string): Promise<Child> {
  const source = join(root, 'dist', 'functions', 'ingest.js');
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
        BIGQUERY_EMULATOR_HOST: endpoint,
        ...pickEnv(/^GCA_INGEST_FLUSH_/),
      },
      // stdout is the log stream (drained, as Cloud Logging's agent would read it).
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // A bench that ends early (an error, process.exit) must not leave the function serving.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  let stderr = '';
  let tail = '';
  const keep = (s: string) => (tail = (tail + s).slice(-2_000));
  if (process.env.GCA_BENCH_DEBUG) child.stdout?.pipe(process.stderr);
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    keep(s);
  });
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
    output: () => tail,
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
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error('no answer within 60 s')));
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
): Promise<LevelResult> {
  const endpoint = await startEndpoint(latencyMs);
  const child = await startFunction(root, endpoint.url);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  try {
    // Warm-up (first client creation, JIT), not counted.
    for (const body of pushBodies(Math.min(inFlight * 2, 64), 999).slice(0, inFlight * 2)) {
      const status = await post(agent, child.port, body).catch(() => 0);
      if (status !== 200) fail(child, `a warm-up message was answered ${status}`);
    }
    const writes0 = endpoint.writes;
    const rows0 = endpoint.rows;
    const ids0 = endpoint.insertIds.size;
    const pid = child.process.pid as number;
    const cpu0 = cpuMsOf(pid);
    const latencies: number[] = [];
    let next = 0;
    let failed = 0;
    let firstFailure = '';
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        // The first failure stops every slot: the figures of a failing run mean nothing.
        while (next < bodies.length && failed === 0) {
          const body = bodies[next++] as string;
          const t = performance.now();
          const status = await post(agent, child.port, body).catch((err: unknown) => {
            firstFailure ||= err instanceof Error ? err.message : String(err);
            return 0;
          });
          latencies.push(performance.now() - t);
          if (status !== 200) {
            failed++;
            firstFailure ||= `answered ${status}`;
          }
        }
      }),
    );
    if (failed > 0) fail(child, `a message was ${firstFailure}`);
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

/** Stops a level with what the function logged last, instead of measuring a broken run. */
function fail(child: Child, what: string): never {
  throw new Error(`ingest-function: ${what}; the function's last output:\n${child.output()}`);
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

export async function run(opts: BenchOptions): Promise<BenchResult> {
  const root = repoRoot();
  if (!existsSync(join(root, 'dist', 'functions', 'ingest.js'))) {
    throw new Error('ingest-function: dist/ is missing; run npm run build');
  }
  const baseline = process.env.GCA_BENCH_BASELINE ? resolve(process.env.GCA_BENCH_BASELINE) : null;
  const latencyMs = Number(process.env.GCA_BENCH_BQ_LATENCY_MS ?? 60);
  const counts = opts.quick ? QUICK_MESSAGES : FULL_MESSAGES;
  const figures: Record<string, number> = {};
  const lines: string[] = [
    `insertAll endpoint latency ${latencyMs} ms; function process CPU from /proc/PID/stat`,
  ];
  // GCA_BENCH_LEVELS=64 (or 1,8): only those levels, e.g. for a profile.
  const only = process.env.GCA_BENCH_LEVELS?.split(',').map(Number);
  for (const inFlight of LEVELS.filter((l) => !only || only.includes(l))) {
    const bodies = pushBodies(counts[inFlight], inFlight);
    const before = baseline ? await runLevel(baseline, latencyMs, inFlight, bodies) : null;
    const after = await runLevel(root, latencyMs, inFlight, bodies);
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
  return { figures, lines };
}
