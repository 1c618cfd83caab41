/**
 * The package as functions-framework serves it: `functions-framework --target=ingest` in a
 * directory whose package.json `main` is `dist/functions/index.js`, in local mode, answering a
 * real HTTP request. `npm test` runs without `npm run build`, so the test builds that file itself
 * with esbuild (the bundler infra uses) from functions/index.ts into a temp package laid out like
 * this repository; the functions-framework CLI and every dependency come from node_modules.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { findFreePort } from '../helpers/emulators';
import { makeLocalSetup, pushBody, rawTableCounts, type LocalSetup } from './helpers';

const ROOT = resolve(__dirname, '../..');
/** What `npx functions-framework` runs. */
const FRAMEWORK_CLI = join(ROOT, 'node_modules', '.bin', 'functions-framework');
/** Left out of the bundle, as infra/bundle.ts does: installed packages, loaded at run time. */
const EXTERNAL = ['@google-cloud/*', 'express', '@duckdb/node-api'];

let pkgDir: string;
let setup: LocalSetup;
const children: ChildProcess[] = [];

function bundle(entry: string, outfile: string): void {
  buildSync({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL,
    logLevel: 'silent',
  });
}

beforeAll(() => {
  pkgDir = mkdtempSync(join(tmpdir(), 'gca-serve-'));
  mkdirSync(join(pkgDir, 'dist', 'functions'), { recursive: true });
  bundle('functions/index.ts', join(pkgDir, 'dist', 'functions', 'index.js'));
  writeFileSync(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name: 'gca-analytics', private: true, main: 'dist/functions/index.js' }),
  );
  symlinkSync(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'), 'dir');
  setup = makeLocalSetup();
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  rmSync(pkgDir, { recursive: true, force: true });
  setup.cleanup();
});

/** Runs the functions-framework CLI as `npx functions-framework --target=NAME` would. */
function serve(target: string, port: number, env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    [FRAMEWORK_CLI, `--target=${target}`, `--port=${port}`, `--source=${pkgDir}`],
    {
      cwd: pkgDir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return child;
}

function output(child: ChildProcess): { text(): string } {
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  return { text: () => text };
}

/** Polls until the server answers (any status), bounded. */
async function waitForServer(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`functions-framework exited with ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${port}/robots.txt`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`functions-framework did not listen on ${port} within ${timeoutMs} ms`);
}

function exited(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('the process did not exit')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

describe('functions-framework --target=ingest (local mode)', () => {
  it('starts from dist/functions/index.js and ingests a push body over HTTP', async () => {
    const port = await findFreePort();
    const child = serve('ingest', port, setup.env);
    const out = output(child);
    try {
      await waitForServer(port, child);
      const entry = makeMetadataEntry('codeExposure', { originalRequestId: 'serve-1' });
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pushBody(entryText(entry), 'serve-m-1')),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', messageId: 'serve-m-1' });
      // A body that is not JSON fails in functions-framework's body parser, before the
      // function: a JSON 400 naming the problem, not Express's HTML page with a stack trace.
      const broken = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message": {"data": "abc"',
      });
      expect(broken.status).toBe(400);
      expect(broken.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await broken.text();
      expect(JSON.parse(text)).toEqual({
        status: 'error',
        error: 'the request body is not valid JSON (Content-Type says JSON)',
      });
      expect(text).not.toMatch(/<html|node_modules|SyntaxError|\bat /i);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    // The summary line went to stdout as JSON.
    const summary = out
      .text()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'ingest done');
    expect(summary).toMatchObject({ component: 'ingest', messageId: 'serve-m-1' });
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1 });
  });

  it('refuses to start with a bad variable, naming it', async () => {
    const port = await findFreePort();
    const child = serve('ingest', port, { ...setup.env, GCA_STATE: 'redis://x' });
    const out = output(child);
    expect(await exited(child)).not.toBe(0);
    expect(out.text()).toContain(
      `GCA_STATE: expected 'firestore' or 'local:PATH' (a JSON state file) (got \\"redis://x\\")`,
    );
  });
});

describe('the cloud bundle of an entry point', () => {
  it.each(['ingest', 'recompute', 'retention'])(
    '%s loads neither DuckDB nor a Google client library at import',
    (target) => {
      const file = join(pkgDir, `${target}.bundle.js`);
      bundle(`functions/${target}.ts`, file);
      const script = `require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
      const result = spawnSync(process.execPath, ['-e', script], {
        cwd: pkgDir,
        env: { PATH: process.env.PATH ?? '', GOOGLE_CLOUD_PROJECT: 'p' },
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
      const loaded = JSON.parse(result.stdout) as string[];
      expect(loaded.some((m) => m.includes('@google-cloud/functions-framework'))).toBe(true);
      expect(loaded.filter((m) => /@duckdb|@google-cloud\/(bigquery|firestore)/.test(m))).toEqual(
        [],
      );
    },
  );
});
