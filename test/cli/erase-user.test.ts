/**
 * The local commands never load the Firestore SDK (it is the heaviest module of the command):
 * here requiring it throws, and `erase-user`, `request-erasure` / `erasure-requests` on a local
 * state file and `retention` all still work; only GCA_STATE=firestore reaches it. Also: a request
 * filed with `request-erasure` in the state file of a local warehouse is processed by
 * `gca-analytics retention`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { statePathFor } from '../../cli/context';
import { runRecompute } from '../../shared/jobs/recompute';
import { ingestRecords } from '../../shared/pipeline/ingest';
import { ErasureRequestSchema } from '../../shared/state/port';
import { entryText, makeMetadataEntry, makeRequestEntry } from '../helpers/entries';
import { runCli } from './run-cli';

jest.mock('@google-cloud/firestore', () => {
  throw new Error('the Firestore SDK was loaded');
});

const NOW = new Date('2026-03-01T00:00:00.000Z');

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-erase-user-'));
  db = join(dir, 'w.duckdb');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function seed(): Promise<void> {
  const deps = await openLocalDeps(db);
  try {
    const entries = ['alice@x.com', 'bob@x.com'].flatMap((user) => {
      const timestamp = '2026-02-27T10:00:00Z';
      return [
        makeRequestEntry({ timestamp, labels: { user_id: user, request_id: `r-${user}` } }),
        makeMetadataEntry(
          'codeExposure',
          { originalRequestId: `s-${user}`, programmingLanguage: 'go' },
          { timestamp, labels: { user_id: user } },
        ),
      ];
    });
    await ingestRecords(
      entries.map((e, i) => ({ text: entryText(e), source: `file:seed#${i}` })),
      deps.warehouse,
      { context: { ingestTime: '2026-02-28T00:00:00.000000Z', contentMode: 'full' } },
    );
    await runRecompute({ warehouse: deps.warehouse, state: deps.state, now: () => NOW });
  } finally {
    await deps.close();
  }
}

async function requestsOf(user: string): Promise<number> {
  const deps = await openLocalDeps(db);
  try {
    const rows = await deps.warehouse.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM `gca_raw.requests` WHERE user_id = @user',
      { user },
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await deps.close();
  }
}

it('erase-user and the local state store work without the Firestore SDK', async () => {
  await seed();
  writeFileSync(join(dir, 't.csv'), 'user_id,team\nalice@x.com,Platform\nbob@x.com,Search\n');
  expect((await runCli(['teams', 'import', 't.csv', '--db', db], { cwd: dir })).code).toBe(0);
  const erased = await runCli(['erase-user', 'bob@x.com', '--db', db, '--json'], {
    cwd: dir,
    now: NOW,
  });
  expect(erased.stderr).toBe('');
  expect(erased.code).toBe(0);
  const done = ErasureRequestSchema.parse(JSON.parse(erased.stdout));
  expect(done.status).toBe('done');
  expect(done.counts).toMatchObject({ 'gca_raw.requests': 1, 'gca_analytics.user_teams': 1 });
  expect(await requestsOf('bob@x.com')).toBe(0);
  // Bob left the team mapping too; Alice stays in it.
  const teams = await runCli(['teams', 'list', '--db', db], { cwd: dir });
  expect(teams.stdout).toContain('alice@x.com');
  expect(teams.stdout).not.toContain('bob@x.com');

  // A request filed in the warehouse's state file waits for the next retention run.
  const env = { GCA_STATE: `local:${statePathFor('w.duckdb')}` };
  const filed = await runCli(['request-erasure', 'alice@x.com', '--json'], {
    cwd: dir,
    env,
    now: NOW,
  });
  expect(filed.code).toBe(0);
  const request = ErasureRequestSchema.parse(JSON.parse(filed.stdout));
  expect(request.status).toBe('pending');
  expect(await requestsOf('alice@x.com')).toBe(1);

  const retention = await runCli(['retention', '--db', db, '--now', '2026-03-01T01:00:00Z'], {
    cwd: dir,
    now: NOW,
  });
  expect(retention.code).toBe(0);
  expect(await requestsOf('alice@x.com')).toBe(0);
  const listed = await runCli(['erasure-requests', '--user', 'alice@x.com', '--json'], {
    cwd: dir,
    env,
  });
  expect(ErasureRequestSchema.array().parse(JSON.parse(listed.stdout))).toMatchObject([
    { id: request.id, status: 'done', counts: { 'gca_raw.requests': 1 } },
  ]);

  // The help of erase-user points to the cloud commands.
  const help = await runCli(['erase-user', '--help'], { cwd: dir });
  expect(help.stdout).toContain('gca-analytics request-erasure USER');
  expect(help.stdout).toContain('gca-analytics erasure-requests');

  // Only the cloud state store loads the SDK (which proves the mock above is in force).
  const cloud = await runCli(['erasure-requests'], {
    cwd: dir,
    env: { GCA_STATE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p' },
  });
  expect(cloud.code).toBe(1);
  expect(cloud.stderr).toContain('the Firestore SDK was loaded');
}, 30_000);
