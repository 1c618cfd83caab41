/**
 * The local commands never load the Firestore SDK (it is the heaviest module of the command):
 * here requiring it throws, and `erase-user`, `request-erasure` / `erasure-requests` on a local
 * state file and `retention` all still work; only GCA_STATE=firestore reaches it. Also: a request
 * filed with `request-erasure` in the state file of a local warehouse is processed by
 * `gca-analytics retention`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { statePathFor } from '../../cli/context';
import { runRecompute } from '../../shared/jobs/recompute';
import { ingestRecords } from '../../shared/pipeline/ingest';
import { ErasureRequestSchema } from '../../shared/state/port';
import { entryText, interactionEntries } from '../helpers/entries';
import { countIn, runCli, useTestDir } from './run-cli';

jest.mock('@google-cloud/firestore', () => {
  throw new Error('the Firestore SDK was loaded');
});

const NOW = new Date('2026-03-01T00:00:00.000Z');

const tmp = useTestDir('gca-cli-erase-user-');

async function seed(): Promise<void> {
  const deps = await openLocalDeps(tmp.db);
  try {
    const entries = ['alice@x.com', 'bob@x.com'].flatMap((u) =>
      interactionEntries(u, '2026-02-27'),
    );
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

it("erase-user removes a user's quarantined entry even when it was cut (labels after a long payload)", async () => {
  // As an export writes it: jsonPayload first, so the 64 Ki cut falls before labels.user_id.
  const entry = {
    insertId: 'big-bob',
    jsonPayload: {
      '@type': 'type.googleapis.com/not.a.gemini.Log',
      taskCompletionRequest: { input: { messages: [{ content: 'private '.repeat(12_000) }] } },
    },
    labels: { user_id: 'bob@x.com' },
    logName: 'projects/p/logs/cloudaicompanion.googleapis.com%2Frequest',
    resource: { type: 'cloudaicompanion.googleapis.com/Instance' },
    timestamp: '2026-02-27T10:00:00Z',
  };
  const good = interactionEntries('alice@x.com', '2026-02-27');
  writeFileSync(join(tmp.dir, 'big.json'), JSON.stringify([...good, entry]));
  const ingest = await runCli(['ingest', 'big.json', '--db', tmp.db, '--json'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(JSON.parse(ingest.stdout)).toMatchObject({ read: good.length + 1, quarantined: 1 });
  const quarantined = () =>
    countIn(tmp.db, "SELECT COUNT(*) AS n FROM `gca_raw.quarantine` WHERE insert_id = 'big-bob'");
  expect(await quarantined()).toBe(1);
  const erased = await runCli(['erase-user', 'bob@x.com', '--db', tmp.db, '--json'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(erased.code).toBe(0);
  expect(JSON.parse(erased.stdout).counts).toMatchObject({ 'gca_raw.quarantine': 1 });
  expect(await quarantined()).toBe(0);
});

const requestsOf = (user: string) =>
  countIn(tmp.db, 'SELECT COUNT(*) AS n FROM `gca_raw.requests` WHERE user_id = @user', { user });

it('erase-user and the local state store work without the Firestore SDK', async () => {
  await seed();
  writeFileSync(join(tmp.dir, 't.csv'), 'user_id,team\nalice@x.com,Platform\nbob@x.com,Search\n');
  expect((await runCli(['teams', 'import', 't.csv', '--db', tmp.db], { cwd: tmp.dir })).code).toBe(
    0,
  );
  const erased = await runCli(['erase-user', 'bob@x.com', '--db', tmp.db, '--json'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(erased.stderr).toBe('');
  expect(erased.code).toBe(0);
  const done = ErasureRequestSchema.parse(JSON.parse(erased.stdout));
  expect(done.status).toBe('done');
  expect(done.counts).toMatchObject({ 'gca_raw.requests': 1, 'gca_analytics.user_teams': 1 });
  expect(await requestsOf('bob@x.com')).toBe(0);
  // Bob left the team mapping too; Alice stays in it.
  const teams = await runCli(['teams', 'list', '--db', tmp.db], { cwd: tmp.dir });
  expect(teams.stdout).toContain('alice@x.com');
  expect(teams.stdout).not.toContain('bob@x.com');

  // A request filed in the warehouse's state file waits for the next retention run.
  const env = { GCA_STATE: `local:${statePathFor('w.duckdb')}` };
  const filed = await runCli(['request-erasure', 'alice@x.com', '--json'], {
    cwd: tmp.dir,
    env,
    now: NOW,
  });
  expect(filed.code).toBe(0);
  const request = ErasureRequestSchema.parse(JSON.parse(filed.stdout));
  expect(request.status).toBe('pending');
  expect(await requestsOf('alice@x.com')).toBe(1);

  const retention = await runCli(['retention', '--db', tmp.db, '--now', '2026-03-01T01:00:00Z'], {
    cwd: tmp.dir,
    now: NOW,
  });
  expect(retention.code).toBe(0);
  expect(await requestsOf('alice@x.com')).toBe(0);
  const listed = await runCli(['erasure-requests', '--user', 'alice@x.com', '--json'], {
    cwd: tmp.dir,
    env,
  });
  expect(ErasureRequestSchema.array().parse(JSON.parse(listed.stdout))).toMatchObject([
    { id: request.id, status: 'done', counts: { 'gca_raw.requests': 1 } },
  ]);

  // The help of erase-user points to the cloud commands.
  const help = await runCli(['erase-user', '--help'], { cwd: tmp.dir });
  expect(help.stdout).toContain('gca-analytics request-erasure USER');
  expect(help.stdout).toContain('gca-analytics erasure-requests');

  // Only the cloud state store loads the SDK (which proves the mock above is in force).
  const cloud = await runCli(['erasure-requests'], {
    cwd: tmp.dir,
    env: { GCA_STATE: 'firestore', GOOGLE_CLOUD_PROJECT: 'p' },
  });
  expect(cloud.code).toBe(1);
  expect(cloud.stderr).toContain('the Firestore SDK was loaded');
}, 30_000);
