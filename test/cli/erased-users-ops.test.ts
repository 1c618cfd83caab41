/**
 * Erased users stay erased on the operating paths, with pseudonymous users: bob is ingested
 * (pseudonymized), erased with `erase-user bob@x.com`, and then his entries come back through
 * `quarantine reprocess` (a row an older version quarantined) and `backfill` (the Cloud Logging
 * API still holds his history): both drop and count them, and no row of his (raw id or pseudonym)
 * is written. (`dead-letters replay` is covered end to end in dead-letters.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { makeQuarantineRow } from '../../shared/pipeline/ingest';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { countIn, runCli } from './run-cli';

const KEY = 'a-test-key-of-at-least-16-bytes';
const ENV = { GCA_PSEUDONYMIZE_KEY: KEY };
const NOW = new Date('2026-10-20T00:00:00.000Z');

function exposure(n: number, user: string): Record<string, unknown> {
  return makeMetadataEntry(
    'codeExposure',
    { originalRequestId: `s-${n}`, programmingLanguage: 'go' },
    { insertId: `e-${n}`, timestamp: `2026-10-01T10:00:0${n}Z`, labels: { user_id: user } },
  );
}
const HISTORY = [exposure(1, 'bob@x.com'), exposure(2, 'ann@x.com'), exposure(3, 'bob@x.com')];

let dir: string;
let db: string;
let api: Server;
let url: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-erased-ops-'));
  db = join(dir, 'w.duckdb');
  api = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ entries: HISTORY }));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((r) => api.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const count = (sql: string, params: Record<string, string> = {}) => countIn(db, sql, params);

it('drops an erased user from reprocessing and backfill, by email and by pseudonym', async () => {
  const ingest = await runCli(['ingest', '-', '--db', db], {
    cwd: dir,
    env: ENV,
    now: NOW,
    stdin: `${entryText(exposure(1, 'bob@x.com'))}\n`,
  });
  expect(ingest.code).toBe(0);
  const bob = createPseudonymizer(KEY)('bob@x.com');
  expect(
    await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events WHERE user_id = @u', { u: bob }),
  ).toBe(1);

  const erase = await runCli(['erase-user', 'bob@x.com', '--db', db], {
    cwd: dir,
    env: ENV,
    now: NOW,
  });
  expect(erase.code).toBe(0);
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(0);

  // An older version had quarantined one of bob's entries (written after the erasure ran).
  const deps = await openLocalDeps(db);
  try {
    await deps.warehouse.insertRaw({
      requests: [],
      responses: [],
      metadata_events: [],
      quarantine: [
        makeQuarantineRow({
          source: 'pubsub',
          reason: 'invalid_payload',
          detail: 'old',
          raw: entryText(exposure(3, 'bob@x.com')),
          quarantineTime: '2026-10-19T00:00:00.000000Z',
        }),
      ],
    });
  } finally {
    await deps.close();
  }
  const reprocess = await runCli(['quarantine', 'reprocess', '--db', db, '--json'], {
    cwd: dir,
    env: ENV,
    now: NOW,
  });
  expect(reprocess.stderr).toBe('');
  expect(JSON.parse(reprocess.stdout)).toMatchObject({ read: 1, erased: 1, moved: 0 });
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.quarantine')).toBe(0);

  const backfill = await runCli(
    [
      'backfill',
      '--db',
      db,
      '--project',
      'p',
      '--from',
      '2026-10-01',
      '--to',
      '2026-10-01',
      '--logging-endpoint',
      url,
      '--json',
    ],
    { cwd: dir, env: ENV, now: NOW },
  );
  expect(backfill.stderr).toBe('');
  expect(JSON.parse(backfill.stdout)).toMatchObject({ read: 3, erased: 2, normalized: 1 });
  expect(await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events')).toBe(1);
  expect(
    await count('SELECT COUNT(*) AS n FROM gca_raw.metadata_events WHERE user_id IN (@a, @b)', {
      a: bob,
      b: 'bob@x.com',
    }),
  ).toBe(0);
  expect(await count('SELECT COUNT(*) AS n FROM gca_analytics.suggestions')).toBe(1);
});
