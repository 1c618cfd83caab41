/**
 * BIGQUERY_EMULATOR_HOST: a process configured for BigQuery (GCA_WAREHOUSE=bigquery, the warehouse
 * opened as the functions and the command open it, shared/deps.ts) sends every request to the
 * host the variable names, and looks up no Google credentials: no Authorization header reaches
 * the endpoint, and the metadata server (redirected to a local recorder with GCE_METADATA_HOST,
 * where google-auth-library would look for credentials or a token) gets no request at all.
 *
 * Each case runs in a fresh process, so no credential lookup cached by an earlier one can hide
 * a new one. The control case, the official client alone with the same variable, shows that the
 * recorder does see the lookup the adapter avoids.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { emulatorEndpoint } from '../../../../shared/warehouse/bigquery/client';
import { startFakeBigQuery, type FakeBigQuery } from '../../../helpers/fake-bigquery';

const ROOT = resolve(__dirname, '../../../..');

/** The probe: opens the warehouse from the environment, as a function or the command does. */
const PROBE = `
import { BigQuery } from '@google-cloud/bigquery';
import { parseConfig } from ${JSON.stringify(join(ROOT, 'shared/config'))};
import { openWarehouse } from ${JSON.stringify(join(ROOT, 'shared/deps'))};
import { makeQuarantineRow } from ${JSON.stringify(join(ROOT, 'shared/pipeline/ingest'))};

async function main(mode: string): Promise<unknown> {
  if (mode === 'client-alone') {
    // The official client with BIGQUERY_EMULATOR_HOST and nothing else.
    const [exists] = await new BigQuery({ projectId: process.env.GOOGLE_CLOUD_PROJECT })
      .dataset('gca_raw')
      .exists();
    return { exists };
  }
  const warehouse = await openWarehouse(parseConfig(process.env));
  // The row warehouse.test.ts writes too: this script runs in a child process and cannot import
  // the test's fixtures.
  const row = makeQuarantineRow({
    source: 'pubsub',
    messageId: 'm-1',
    reason: 'invalid_json',
    detail: 'Unexpected token',
    raw: '{not json',
    quarantineTime: '2025-10-08T10:09:52.225165Z',
  });
  const inserted = await warehouse.insertRaw({
    requests: [],
    responses: [],
    metadata_events: [],
    quarantine: [row],
  });
  const rows = await warehouse.query('SELECT 1 AS n');
  await warehouse.close();
  return { inserted, rows };
}

main(process.argv[2] ?? '').then(
  (out) => process.stdout.write(JSON.stringify(out)),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
`;

let dir: string;
let probe: string;
let fake: FakeBigQuery;
let metadata: Server;
let metadataHost: string;
let metadataRequests: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gca-bq-emulator-'));
  mkdirSync(join(dir, 'home'));
  // The bundle resolves installed packages from here at run time, like the deployed functions.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  probe = join(dir, 'probe.js');
  buildSync({
    stdin: { contents: PROBE, loader: 'ts', resolveDir: ROOT },
    outfile: probe,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'silent',
  });
  metadataRequests = [];
  metadata = createServer((req, res) => {
    metadataRequests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => metadata.listen(0, '127.0.0.1', r));
  const address = metadata.address();
  metadataHost = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((r) => metadata.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  fake = await startFakeBigQuery();
  metadataRequests.length = 0;
});

afterEach(async () => {
  await fake.close();
});

/**
 * Runs the probe in a fresh process without credentials. Asynchronously: the fake answers from
 * this process's event loop.
 */
function runProbe(
  mode: string,
  emulatorHost: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [probe, mode], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        // No credentials anywhere: no key file, no gcloud configuration, no ADC file.
        HOME: join(dir, 'home'),
        CLOUDSDK_CONFIG: join(dir, 'home', 'gcloud'),
        GCE_METADATA_HOST: metadataHost,
        GCA_WAREHOUSE: 'bigquery',
        GOOGLE_CLOUD_PROJECT: fake.projectId,
        BIGQUERY_EMULATOR_HOST: emulatorHost,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}

describe('BIGQUERY_EMULATOR_HOST', () => {
  it.each([
    ['host:port', (f: FakeBigQuery) => `127.0.0.1:${f.port}`],
    ['a URL', (f: FakeBigQuery) => `${f.url}/`],
  ])(
    'as %s: the warehouse talks to it and looks up no credentials',
    async (_form, host) => {
      expect(process.env.GOOGLE_APPLICATION_CREDENTIALS).toBeUndefined();
      const run = await runProbe('deps', host(fake));
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        inserted: { inserted: 1, duplicates: 0, rejected: [] },
        rows: [],
      });
      expect(fake.requestsTo('/tables/quarantine/insertAll', 'POST')).toHaveLength(1);
      expect(fake.requestsTo(/\/jobs$/, 'POST')).toHaveLength(1);
      expect(fake.requests.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
      expect(metadataRequests).toEqual([]);
    },
    60_000,
  );

  it('control: the official client alone reaches the endpoint but looks up credentials', async () => {
    const run = await runProbe('client-alone', fake.url);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ exists: false });
    expect(fake.requestsTo('/datasets/gca_raw', 'GET')).toHaveLength(1);
    // The probe the adapter avoids (google-auth-library asking the metadata server).
    expect(metadataRequests.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('emulatorEndpoint', () => {
  it.each([
    ['localhost:9050', 'http://localhost:9050'],
    ['http://0.0.0.0:9050/', 'http://0.0.0.0:9050'],
    ['https://bq.example.test', 'https://bq.example.test'],
  ])('%s -> %s', (host, url) => {
    expect(emulatorEndpoint(host)).toBe(url);
  });
});
