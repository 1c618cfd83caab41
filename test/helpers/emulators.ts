/**
 * Starts a Google Cloud emulator (Firestore or Pub/Sub) from the installed Google Cloud CLI on a
 * free loopback port, for integration tests. Start ONE per test file:
 *
 *   let emu: RunningEmulator;
 *   beforeAll(async () => { emu = await startEmulator('pubsub'); }, 120_000);
 *   afterAll(() => emu.stop());
 *   // new PubSub({ projectId: emu.projectId, apiEndpoint: emu.hostPort, emulatorMode: true })
 *   // new Firestore({ projectId: emu.projectId, host: emu.hostPort, ssl: false,
 *   //                 credentials: EMULATOR_FAKE_CREDENTIALS })
 *   // or hand `emu.env` (PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST) to a child process.
 *
 * gcloud runs the emulator through wrappers (python gcloud -> bash script -> java), so the
 * emulator is started in its own process group, and `stop()` ends the whole group: the leaves
 * first so every parent reaps its child (this machine's init does not reap orphans), then SIGKILL
 * for anything left. An `exit` hook kills the group if the test process dies without `stop()`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { createServer } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';

// Options as a const list and an interface with one documented field each (the house form).
export const EMULATOR_KINDS = ['firestore', 'pubsub'] as const;
export type EmulatorKind = (typeof EMULATOR_KINDS)[number];

export interface StartEmulatorOptions {
  /** Project id the clients must use; default `gca-test-<kind>`. */
  projectId?: string;
  /** Give up if the emulator does not answer in this time; default 90 s (Java on 2 busy cores). */
  startTimeoutMs?: number;
  /** After SIGTERM, how long to wait before SIGKILL; default 5 s. */
  stopTimeoutMs?: number;
  /** The gcloud executable; default `$GCLOUD` or `gcloud` on PATH. */
  gcloud?: string;
  /** Extra arguments for `gcloud ... start`. */
  extraArgs?: string[];
  /** Receives every output line of the emulator (default: kept in memory for error messages). */
  onOutput?: (line: string) => void;
}

export interface RunningEmulator {
  kind: EmulatorKind;
  host: string;
  port: number;
  /** `127.0.0.1:PORT`, the form the `*_EMULATOR_HOST` variables take. */
  hostPort: string;
  projectId: string;
  /** `{ FIRESTORE_EMULATOR_HOST }` or `{ PUBSUB_EMULATOR_HOST, PUBSUB_PROJECT_ID }` for a child. */
  env: Record<string, string>;
  /** Process group id of the gcloud process tree. */
  pgid: number;
  /** Milliseconds from spawn to the first answer on the port. */
  startupMs: number;
  /** Output seen so far (the tail), for diagnosing a failing test. */
  output(): string;
  /** Ends the whole process tree and waits until no process of it is left. Idempotent. */
  stop(): Promise<void>;
}

/** Thrown when gcloud or the emulator component is missing or the emulator does not come up. */
export class EmulatorStartError extends Error {
  override readonly name = 'EmulatorStartError';
}

/**
 * Credentials for a Firestore (gax/gRPC) client talking to the emulator. With `ssl: false` gax
 * never signs with them, but without any credentials it still looks for Application Default
 * Credentials and probes the GCE metadata server on every new client (seconds of timeouts and a
 * MetadataLookupWarning on a machine without it).
 */
export const EMULATOR_FAKE_CREDENTIALS = {
  client_email: 'emulator@gca-test.iam.gserviceaccount.com',
  private_key: 'not-used-by-the-emulator',
} as const;

const HOST = '127.0.0.1';
const OUTPUT_LIMIT = 64 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port nobody listens on right now (the OS picks it; reused at once by the emulator). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Both emulators answer `GET /` with 200 "Ok" once they serve. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path: '/', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  zombie: boolean;
}

/** Processes of a group, from /proc (Linux) or `ps` elsewhere. Zombies are flagged. */
function groupMembers(pgid: number): ProcInfo[] {
  const all: ProcInfo[] = [];
  if (existsSync('/proc/self/stat')) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // Fields after the command name (which may hold spaces and parentheses).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        zombie: fields[0] === 'Z' || fields[0] === 'X',
      });
    }
  } else {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat=']).toString();
    for (const line of out.split('\n')) {
      const [pid, ppid, group, state] = line.trim().split(/\s+/);
      if (!pid || !ppid || !group || !state) continue;
      all.push({
        pid: Number(pid),
        ppid: Number(ppid),
        pgid: Number(group),
        zombie: state.startsWith('Z'),
      });
    }
  }
  return all.filter((p) => p.pgid === pgid);
}

/** Live (non-zombie) processes of the group. */
export function liveGroupMembers(pgid: number): number[] {
  return groupMembers(pgid)
    .filter((p) => !p.zombie)
    .map((p) => p.pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const running = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of running) signal(-pgid, 'SIGKILL');
  });
}

async function stopGroup(child: ChildProcess, pgid: number, timeoutMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const deadline = Date.now() + timeoutMs;
  const signalled = new Set<number>();
  // Terminate the leaves (the JVM) first: each wrapper then sees its child exit, reaps it and
  // exits itself, so no zombie is left reparented to an init that does not reap.
  while (Date.now() < deadline) {
    const members = groupMembers(pgid).filter((p) => !p.zombie);
    if (members.length === 0) break;
    const parents = new Set(members.map((p) => p.ppid));
    for (const p of members) {
      if (!parents.has(p.pid) && !signalled.has(p.pid)) {
        signalled.add(p.pid);
        signal(p.pid, 'SIGTERM');
      }
    }
    await sleep(50);
  }
  if (liveGroupMembers(pgid).length > 0) signal(-pgid, 'SIGKILL');
  await exited;
  while (liveGroupMembers(pgid).length > 0) await sleep(20);
  running.delete(pgid);
}

function commandFor(kind: EmulatorKind, port: number, projectId: string): string[] {
  const hostPort = `--host-port=${HOST}:${port}`;
  return kind === 'firestore'
    ? ['emulators', 'firestore', 'start', hostPort, `--project=${projectId}`]
    : ['beta', 'emulators', 'pubsub', 'start', hostPort, `--project=${projectId}`];
}

function envFor(kind: EmulatorKind, hostPort: string, projectId: string): Record<string, string> {
  return kind === 'firestore'
    ? { FIRESTORE_EMULATOR_HOST: hostPort }
    : { PUBSUB_EMULATOR_HOST: hostPort, PUBSUB_PROJECT_ID: projectId };
}

async function startOnce(
  kind: EmulatorKind,
  opts: StartEmulatorOptions,
): Promise<RunningEmulator | 'port-taken'> {
  const projectId = opts.projectId ?? `gca-test-${kind}`;
  const gcloud = opts.gcloud ?? process.env.GCLOUD ?? 'gcloud';
  const port = await findFreePort();
  const hostPort = `${HOST}:${port}`;
  let output = '';
  let pending = '';
  const onChunk = (chunk: Buffer): void => {
    const text = chunk.toString();
    output = (output + text).slice(-OUTPUT_LIMIT);
    if (!opts.onOutput) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) opts.onOutput(line);
  };

  const started = Date.now();
  const child = spawn(gcloud, [...commandFor(kind, port, projectId), ...(opts.extraArgs ?? [])], {
    detached: true, // its own process group, so stop() reaches the JVM behind the wrappers
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
    },
  });
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);

  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exit = new Promise<string>((resolve) =>
    child.once('exit', (code, sig) => resolve(`exited with ${code ?? sig}`)),
  );
  const failure = await Promise.race([
    spawnError.then((err) => ({ err })),
    new Promise<{ pid: number }>((resolve) =>
      child.once('spawn', () => resolve({ pid: child.pid! })),
    ),
  ]);
  if ('err' in failure) {
    const missing = (failure.err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new EmulatorStartError(
      missing
        ? `the ${kind} emulator needs the Google Cloud CLI: '${gcloud}' was not found on PATH. ` +
            `Install it with the ${kind === 'firestore' ? 'cloud-firestore-emulator' : 'pubsub-emulator'} ` +
            'component (and Java 17+), or set GCLOUD to its path.'
        : `could not run '${gcloud}': ${failure.err.message}`,
    );
  }
  const pgid = failure.pid;
  running.add(pgid);
  installExitHook();

  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  let exitReason: string | null = null;
  void exit.then((reason) => (exitReason = reason));
  while (!(await answers(port))) {
    if (exitReason !== null) {
      running.delete(pgid);
      await stopGroup(child, pgid, opts.stopTimeoutMs ?? 5_000);
      if (/address already in use|BindException/i.test(output)) return 'port-taken';
      throw new EmulatorStartError(
        `the ${kind} emulator ${exitReason} before answering on ${hostPort}:\n${output.slice(-4_000)}`,
      );
    }
    if (Date.now() - started > timeoutMs) {
      await stopGroup(child, pgid, opts.stopTimeoutMs ?? 5_000);
      throw new EmulatorStartError(
        `the ${kind} emulator did not answer on ${hostPort} within ${timeoutMs} ms:\n${output.slice(-4_000)}`,
      );
    }
    await sleep(100);
  }
  const startupMs = Date.now() - started;

  let stopping: Promise<void> | null = null;
  return {
    kind,
    host: HOST,
    port,
    hostPort,
    projectId,
    env: envFor(kind, hostPort, projectId),
    pgid,
    startupMs,
    output: () => output,
    stop: () => (stopping ??= stopGroup(child, pgid, opts.stopTimeoutMs ?? 5_000)),
  };
}

/**
 * Starts `gcloud emulators firestore start` or `gcloud beta emulators pubsub start` on a free
 * port of 127.0.0.1 and resolves once it answers HTTP. Throws EmulatorStartError with a clear
 * message when gcloud is missing or the emulator fails to come up.
 */
export async function startEmulator(
  kind: EmulatorKind,
  opts: StartEmulatorOptions = {},
): Promise<RunningEmulator> {
  // The free port is found before gcloud binds it; another process may win that race.
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await startOnce(kind, opts);
    if (result !== 'port-taken') return result;
  }
  throw new EmulatorStartError(`the ${kind} emulator could not bind a free port in 3 attempts`);
}

/**
 * For a test file whose own process reads Firestore through configuration (GCA_STATE=firestore),
 * as a deployed function does: starts the Firestore emulator before all tests and points this
 * process at it through FIRESTORE_EMULATOR_HOST, which the Firestore SDK reads itself; with no
 * GCE metadata server here, METADATA_SERVER_DETECTION=none keeps the auth library from probing
 * for one. Both variables are restored and the emulator stopped after all tests. Call it at the
 * top of the file; read `.emu` in hooks and tests.
 */
export function useFirestoreEmulatorInProcess(): { emu: RunningEmulator } {
  const holder = {} as { emu: RunningEmulator };
  const names = ['FIRESTORE_EMULATOR_HOST', 'METADATA_SERVER_DETECTION'] as const;
  const saved = names.map((name) => [name, process.env[name]] as const);
  beforeAll(async () => {
    holder.emu = await startEmulator('firestore');
    process.env.FIRESTORE_EMULATOR_HOST = holder.emu.hostPort;
    process.env.METADATA_SERVER_DETECTION = 'none';
  }, 150_000);
  afterAll(async () => {
    await holder.emu?.stop();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }, 60_000);
  return holder;
}

/** A Pub/Sub client on the emulator (with fake credentials, so it never looks for real ones). */
export function emulatorPubSub(emu: RunningEmulator): PubSub {
  return new PubSub({
    projectId: emu.projectId,
    apiEndpoint: emu.hostPort,
    emulatorMode: true,
    credentials: EMULATOR_FAKE_CREDENTIALS,
  });
}

/**
 * Serves the function registered as `target` (functions-framework's `http(target, ...)`) on a
 * free port of 127.0.0.1, so the emulator can push to `url`. Close `server` after all tests.
 */
export async function listenForPush(target: string): Promise<{ server: Server; url: string }> {
  const port = await findFreePort();
  const server = getTestServer(target);
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  return { server, url: `http://${HOST}:${port}/` };
}
