/**
 * `gca-analytics backfill` against local HTTP endpoints speaking the Cloud Logging `entries:list`
 * REST call (the real @google-cloud/logging client, REST transport) and the Cloud Storage JSON
 * API (the real @google-cloud/storage client, `apiEndpoint` via STORAGE_EMULATOR_HOST), into a
 * local warehouse. No credentials: the Logging client gets an auth client that adds no header,
 * the Storage client sends none to a custom endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { DEFAULT_FACTORIES, type DepsFactories } from '../../shared/deps';
import { checkpointName } from '../../shared/ops/backfill';
import { ingestRecords } from '../../shared/pipeline/ingest';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { countIn, runCli } from './run-cli';

const NOW = new Date('2026-10-20T00:00:00.000Z');

function exposure(n: number, user: string, day: string): Record<string, unknown> {
  const ts = `${day}T10:00:${String(n % 60).padStart(2, '0')}.123456789Z`;
  return makeMetadataEntry(
    'codeExposure',
    { originalRequestId: `s-${n}`, programmingLanguage: 'go' },
    { insertId: `bf-${n}`, timestamp: ts, receiveTimestamp: ts, labels: { user_id: user } },
  );
}

/** 12 entries over two days; #3 and #9 are eve's (erased); #1 and #2 the live path delivered. */
const ENTRIES = Array.from({ length: 12 }, (_, i) =>
  exposure(i, i === 3 || i === 9 ? 'eve@x.com' : 'ann@x.com', i < 6 ? '2026-10-01' : '2026-10-02'),
);

interface Served {
  server: Server;
  url: string;
  requests: { path: string; body: unknown }[];
  /** Responses to give instead, by request number (1-based). */
  script: Map<number, { status: number; body: unknown }>;
}

async function serve(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<Served> {
  const served: Served = { server: createServer(), url: '', requests: [], script: new Map() };
  served.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      served.requests.push({ path: req.url ?? '', body: body ? JSON.parse(body) : null });
      const scripted = served.script.get(served.requests.length);
      if (scripted) {
        res.writeHead(scripted.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(scripted.body));
        return;
      }
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => served.server.listen(0, '127.0.0.1', r));
  served.url = `http://127.0.0.1:${(served.server.address() as AddressInfo).port}`;
  return served;
}

/** entries:list over the fixture: the filter's timestamp bounds, ascending, pageToken = offset. */
function entriesList(req: IncomingMessage, body: string, res: ServerResponse): void {
  if (req.method !== 'POST' || !req.url?.startsWith('/v2/entries:list')) {
    res.writeHead(404).end();
    return;
  }
  const request = JSON.parse(body) as { filter: string; pageSize: number; pageToken?: string };
  const since = /timestamp>="([^"]+)"/.exec(request.filter)?.[1] ?? '';
  const until = /timestamp<"([^"]+)"/.exec(request.filter)?.[1] ?? '9999';
  const matching = ENTRIES.filter((e) => {
    const t = e.timestamp as string;
    return t >= since && t < until;
  }).sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
  const offset = Number(request.pageToken ?? 0);
  const page = matching.slice(offset, offset + request.pageSize);
  const next = offset + request.pageSize < matching.length ? String(offset + request.pageSize) : '';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ entries: page, ...(next ? { nextPageToken: next } : {}) }));
}

const QUOTA = {
  status: 429,
  body: {
    error: {
      code: 429,
      message: 'Quota exceeded for ReadRequestsPerMinutePerProject',
      status: 'RESOURCE_EXHAUSTED',
    },
  },
};
const DENIED = {
  status: 403,
  body: {
    error: {
      code: 403,
      message: 'The caller does not have permission',
      status: 'PERMISSION_DENIED',
    },
  },
};

let dir: string;
let db: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-backfill-'));
  db = join(dir, 'w.duckdb');
  // The live sink already delivered #1 and #2; eve has asked to be erased.
  const deps = await openLocalDeps(db);
  try {
    await ingestRecords(
      [1, 2].map((i) => ({ text: entryText(ENTRIES[i]), source: 'pubsub' })),
      deps.warehouse,
      { context: { ingestTime: '2026-10-02T12:00:00.000000Z', contentMode: 'scrubbed' } },
    );
    await deps.state.requestErasure('eve@x.com', NOW);
  } finally {
    await deps.close();
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const count = (sql: string) => countIn(db, sql);

describe('from the Cloud Logging API', () => {
  let api: Served;
  beforeEach(async () => {
    api = await serve(entriesList);
  });
  afterEach(() => new Promise<void>((r) => api.server.close(() => r())));

  const args = () => [
    'backfill',
    '--db',
    db,
    '--project',
    'p1',
    '--from',
    '2026-10-01',
    '--to',
    '2026-10-02',
    '--logging-endpoint',
    api.url,
    '--page-size',
    '4',
    '--requests-per-minute',
    '60000',
    '--backoff-ms',
    '10',
    '--json',
  ];

  it('says to run recompute --full when the recompute fails after the whole source was read', async () => {
    // The state store refuses the recompute's lease (the checkpoints still work).
    const factories: DepsFactories = {
      ...DEFAULT_FACTORIES,
      openState: async (config) => {
        const state = await DEFAULT_FACTORIES.openState(config);
        state.acquireLease = () => Promise.reject(new Error('state store unavailable'));
        return state;
      },
    };
    const failed = await runCli(args(), { cwd: dir, now: NOW, factories });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('run `gca-analytics recompute --full`');
    expect(failed.stderr).not.toContain('run the same command again');
    // Its checkpoint says done: a second run reads nothing, so only that recompute would help.
    const again = await runCli(args(), { cwd: dir, now: NOW });
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyDone: true });
  });

  it('pages through, waits out a 429, dedups against the live path, drops erased users, recomputes', async () => {
    api.script.set(2, QUOTA);
    const run = await runCli(args(), { cwd: dir, now: NOW });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      read: 12,
      normalized: 8,
      duplicates: 2,
      erased: 2,
      quarantined: 0,
      pages: 3,
      days: ['2026-10-01', '2026-10-02'],
      resumed: false,
    });
    expect(out.recompute.status).toBe('done');
    // 3 pages + the retried one; the request carries the scope, the built-in filter, the order.
    expect(api.requests).toHaveLength(4);
    expect(api.requests[0]?.body).toMatchObject({
      resourceNames: ['projects/p1'],
      orderBy: 'timestamp asc',
      pageSize: 4,
      filter:
        'resource.type="cloudaicompanion.googleapis.com/Instance" AND timestamp>="2026-10-01T00:00:00Z" AND timestamp<"2026-10-03T00:00:00Z"',
    });
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(10);
    expect(
      await count("SELECT COUNT(*) AS n FROM gca_raw.metadata_events WHERE user_id = 'eve@x.com'"),
    ).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM gca_analytics.suggestions')).toBe(10);

    // Completed: a second run reads nothing; --restart reads all again and changes nothing.
    const again = await runCli(args(), { cwd: dir, now: NOW });
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyDone: true });
    expect(api.requests).toHaveLength(4);
    const restart = await runCli([...args(), '--restart'], { cwd: dir, now: NOW });
    // The command's own counts, stated in full (as every command test does for its summary).
    expect(JSON.parse(restart.stdout)).toMatchObject({
      read: 12,
      normalized: 0,
      duplicates: 10,
      erased: 2,
    });
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(10);
  });

  it('a run that fails keeps its checkpoint; the next run continues from it', async () => {
    api.script.set(2, DENIED);
    const failed = await runCli(args(), { cwd: dir, now: NOW });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/run the same command again to continue/);
    expect(failed.stderr).toMatch(/permission/);
    // The first page (#0-#3, eve's #3 dropped, #1 #2 already there) was written.
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(3);

    const resumed = await runCli(args(), { cwd: dir, now: NOW });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    // Counts add up over both runs; the entry at the checkpoint's timestamp (eve's #3) is read
    // again (entries sharing a timestamp may straddle a page) and dropped again.
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, erased: 3, normalized: 8 });
    // It asked from the last timestamp written, not from the start of the range.
    const filter = (api.requests[2]?.body as { filter: string }).filter;
    expect(filter).toContain(`timestamp>="${String(ENTRIES[3]?.timestamp)}"`);
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(10);
  });

  it('reads a log bucket through its view; scope flags are checked', async () => {
    const run = await runCli(
      [
        ...args().filter((a) => a !== 'p1' && a !== '--project'),
        '--organization',
        '42',
        '--bucket',
        'b',
        '--view',
        'v',
        '--location',
        'eu',
      ],
      { cwd: dir, now: NOW },
    );
    expect(run.code).toBe(0);
    expect(api.requests[0]?.body).toMatchObject({
      resourceNames: ['organizations/42/locations/eu/buckets/b/views/v'],
    });
    const none = await runCli(
      ['backfill', '--db', db, '--from', '2026-10-01', '--to', '2026-10-02'],
      { cwd: dir },
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exactly one of --project, --folder, --organization/);
    const noView = await runCli(
      [
        'backfill',
        '--db',
        db,
        '--project',
        'p',
        '--bucket',
        'b',
        '--from',
        '2026-10-01',
        '--to',
        '2026-10-01',
      ],
      { cwd: dir },
    );
    expect(noView.code).toBe(2);
  });
});

describe('from files exported to Cloud Storage', () => {
  let gcs: Served;
  const PREFIX = 'cloudaicompanion.googleapis.com%2Fmetadata';
  /** Hourly JSON Lines files as a sink writes them (object names hold the encoded %2F). */
  const FILES: Record<string, string> = {
    [`${PREFIX}/2026/10/01/10:00:00_10:59:59_S0.json`]:
      ENTRIES.slice(0, 6).map(entryText).join('\n') + '\n',
    [`${PREFIX}/2026/10/02/10:00:00_10:59:59_S0.json`]:
      ENTRIES.slice(6).map(entryText).join('\n') + '\n',
    [`${PREFIX}/2026/09/30/10:00:00_10:59:59_S0.json`]:
      entryText(exposure(99, 'ann@x.com', '2026-09-30')) + '\n',
  };
  let failReads = false;

  beforeEach(async () => {
    failReads = false;
    gcs = await serve((req, _body, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const media = /^\/(?:download\/)?storage\/v1\/b\/logs\/o\/(.+)$/.exec(url.pathname);
      if (url.pathname === '/storage/v1/b/logs/o') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const names = Object.keys(FILES).filter((n) => n.startsWith(prefix));
        // Two pages of listing, as the JSON API pages.
        const token = url.searchParams.get('pageToken');
        const page = token ? names.slice(2) : names.slice(0, 2);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'storage#objects',
            items: page.map((name) => ({ kind: 'storage#object', name, bucket: 'logs' })),
            ...(token || names.length <= 2 ? {} : { nextPageToken: 'p2' }),
          }),
        );
        return;
      }
      if (media && url.searchParams.get('alt') === 'media') {
        const name = decodeURIComponent(media[1] as string);
        const content = FILES[name];
        if (content === undefined || (failReads && name.includes('/10/02/'))) {
          res.writeHead(failReads ? 403 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 403, message: 'Forbidden' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(content);
        return;
      }
      res.writeHead(404).end();
    });
  });
  afterEach(() => new Promise<void>((r) => gcs.server.close(() => r())));

  const args = () => [
    'backfill',
    `gs://logs/${PREFIX}`,
    '--db',
    db,
    '--from',
    '2026-10-01',
    '--json',
  ];
  const env = () => ({ STORAGE_EMULATOR_HOST: gcs.url });

  it('streams the files of the range, dedups, drops erased users; resumes after a failed file', async () => {
    failReads = true;
    const failed = await runCli(args(), { cwd: dir, now: NOW, env: env() });
    expect(failed.code).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(5);

    failReads = false;
    const run = await runCli(args(), { cwd: dir, now: NOW, env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Resumed after the first file: only the second is read; the 2026-09-30 file is out of range.
    // Its days are those of the whole backfill: the failed run's (from the checkpoint) and its own.
    expect(JSON.parse(run.stdout)).toMatchObject({
      resumed: true,
      days: ['2026-10-01', '2026-10-02'],
    });
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(10);
    expect(
      await count("SELECT COUNT(*) AS n FROM gca_raw.metadata_events WHERE user_id = 'eve@x.com'"),
    ).toBe(0);
    const media = gcs.requests
      .filter((r) => r.path.includes('alt=media'))
      .map((r) => decodeURIComponent(r.path));
    expect(media.filter((p) => p.includes('/2026/10/01/'))).toHaveLength(1);
    expect(media.some((p) => p.includes('/2026/09/30/'))).toBe(false);
  });

  // The failed run rebuilds nothing; the resumed run's rebuild must cover the failed run's days
  // too, though it reads only recent ones (the incremental recompute would not see the rest).
  it('a resumed run rebuilds the days the failed run wrote, beyond the lookback', async () => {
    const at = new Date('2026-10-08T12:00:00.000Z'); // lookback 7: 2026-10-01 is out of reach
    const lookback = () => ({ ...env(), GCA_RECOMPUTE_LOOKBACK_DAYS: '7' });
    // An earlier recompute set the watermark (the live path's #1 and #2, on 2026-10-01).
    const earlier = await runCli(['recompute', '--db', db], {
      cwd: dir,
      now: new Date(at.getTime() - 3_600_000),
      env: lookback(),
    });
    expect(earlier.code).toBe(0);
    const onFirstDay =
      "SELECT COUNT(*) AS n FROM gca_analytics.suggestions WHERE day = '2026-10-01'";
    expect(await count(onFirstDay)).toBe(2);

    failReads = true;
    const failed = await runCli(args(), { cwd: dir, now: at, env: lookback() });
    expect(failed.code).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(5);
    expect(await count(onFirstDay)).toBe(2);

    failReads = false;
    const run = await runCli(args(), { cwd: dir, now: at, env: lookback() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // #0, #4 and #5, written by the failed run, have their figures (eve's #3 was dropped).
    expect(await count(onFirstDay)).toBe(5);
    expect(await count('SELECT COUNT(*) AS n FROM gca_analytics.suggestions')).toBe(10);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ resumed: true, days: ['2026-10-01', '2026-10-02'] });
    expect(out.recompute).toMatchObject({ status: 'done', full: true });
  });

  it('resumes from a checkpoint stored without its days (an earlier version)', async () => {
    failReads = true;
    expect((await runCli(args(), { cwd: dir, now: NOW, env: env() })).code).toBe(1);
    const deps = await openLocalDeps(db);
    try {
      const scope = JSON.stringify({ gs: `gs://logs/${PREFIX}`, from: '2026-10-01', to: null });
      const name = checkpointName(scope);
      const stored = JSON.parse((await deps.state.getWatermark(name)) ?? 'null');
      expect(stored).toMatchObject({ scope, done: false, days: ['2026-10-01'] });
      delete stored.days;
      await deps.state.setWatermark(name, JSON.stringify(stored));
    } finally {
      await deps.close();
    }
    failReads = false;
    const run = await runCli(args(), { cwd: dir, now: NOW, env: env() });
    expect(run.code).toBe(0);
    // Counts carry on; the days are this run's only (the checkpoint did not keep the others).
    expect(JSON.parse(run.stdout)).toMatchObject({
      resumed: true,
      normalized: 8,
      days: ['2026-10-02'],
    });
    expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(10);
  });
});
