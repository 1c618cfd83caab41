/**
 * `request-erasure` / `erasure-requests` against the Firestore emulator, end to end: a request
 * filed through the command (GCA_STATE=firestore and the Firestore variables, as the functions
 * read them) is processed by the retention job on that Firestore store and a DuckDB warehouse
 * holding the user's pseudonymized rows; the rows are gone and the command then shows the request
 * done with its counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDeps } from '../../cli/main';
import { parseConfig } from '../../shared/config';
import { createPseudonymizer } from '../../shared/content/pseudonymize';
import { openState } from '../../shared/deps';
import { runRecompute } from '../../shared/jobs/recompute';
import { runRetention } from '../../shared/jobs/retention';
import { ingestRecords } from '../../shared/pipeline/ingest';
import { ErasureRequestSchema, type ErasureRequest } from '../../shared/state/port';
import { useFirestoreEmulatorInProcess } from '../helpers/emulators';
import { entryText, interactionEntries } from '../helpers/entries';
import { countIn, runCli } from './run-cli';

const KEY = 'erasure-requests-test-key-0123456789';
const FILED_AT = new Date('2026-03-01T09:00:00.000Z');
const RUN_AT = new Date('2026-03-02T04:00:00.000Z');

const firestore = useFirestoreEmulatorInProcess();

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-erasure-requests-'));
  env = {
    GCA_STATE: 'firestore',
    GOOGLE_CLOUD_PROJECT: firestore.emu.projectId,
    // The stack's named database, and a collection per test for isolation.
    GCA_FIRESTORE_DATABASE: 'gca-analytics',
    GCA_FIRESTORE_COLLECTION: `erasure_${randomUUID()}`,
    // Present as in a platform team's shell: must never be printed.
    GCA_PSEUDONYMIZE_KEY: KEY,
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Alice and Bob on two recent days, ingested with pseudonymization, plus a record that cannot be
 * parsed and so is quarantined as received, with Bob's email in it; recomputed.
 */
async function seed(db: string): Promise<void> {
  const deps = await openLocalDeps(db);
  try {
    const all = ['alice@x.com', 'bob@x.com'].flatMap((u) =>
      ['2026-02-26', '2026-02-27'].flatMap((d) => interactionEntries(u, d)),
    );
    const records = all.map((e, i) => ({ text: entryText(e), source: `file:seed#${i}` }));
    records.push({ text: '{"labels": {"user_id": "bob@x.com"}, broken', source: 'file:seed#bad' });
    await ingestRecords(records, deps.warehouse, {
      context: {
        ingestTime: '2026-02-28T00:00:00.000000Z',
        contentMode: 'full',
        pseudonymizeUser: createPseudonymizer(KEY),
      },
    });
    await runRecompute({ warehouse: deps.warehouse, state: deps.state, now: () => FILED_AT });
  } finally {
    await deps.close();
  }
}

const parseRequests = (text: string): ErasureRequest[] =>
  ErasureRequestSchema.array().parse(JSON.parse(text));

it('files a request in Firestore that the retention run completes, pseudonymized rows and quarantine included', async () => {
  const db = join(dir, 'w.duckdb');
  await seed(db);
  const bob = createPseudonymizer(KEY)('bob@x.com');
  const bobRows = `SELECT COUNT(*) AS n FROM \`gca_raw.requests\` WHERE user_id = '${bob}'`;
  expect(await countIn(db, bobRows)).toBe(2);
  expect(await countIn(db, 'SELECT COUNT(*) AS n FROM `gca_raw.quarantine`')).toBe(1);

  const filed = await runCli(['request-erasure', 'bob@x.com', '--json'], {
    cwd: dir,
    env,
    now: FILED_AT,
  });
  expect(filed.stderr).toBe('');
  expect(filed.code).toBe(0);
  const request = ErasureRequestSchema.parse(JSON.parse(filed.stdout));
  expect(request).toMatchObject({
    userId: 'bob@x.com',
    status: 'pending',
    requestedAt: FILED_AT.toISOString(),
    attempts: 0,
    counts: null,
  });

  // Asking again while pending gives the same request.
  const again = await runCli(['request-erasure', ' bob@x.com '], { cwd: dir, env, now: RUN_AT });
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`Erasure request ${request.id} for bob@x.com was already pending`);
  expect(again.stdout).toContain(`gca-analytics/${env.GCA_FIRESTORE_COLLECTION}`);

  const pending = await runCli(['erasure-requests', '--status', 'pending', '--json'], {
    cwd: dir,
    env,
  });
  expect(parseRequests(pending.stdout).map((r) => r.id)).toEqual([request.id]);

  // The daily retention run, as the function runs it: the same Firestore store, the key.
  const state = await openState(parseConfig({ ...env, GCA_WAREHOUSE: `duckdb:${db}` }));
  const deps = await openLocalDeps(db);
  try {
    const result = await runRetention({
      warehouse: deps.warehouse,
      state,
      now: () => RUN_AT,
      pseudonymizeUser: createPseudonymizer(KEY),
    });
    expect(result.status).toBe('done');
    expect(result.erasures.map((e) => [e.id, e.status, e.error])).toEqual([
      [request.id, 'done', null],
    ]);
  } finally {
    await deps.close();
    await state.close();
  }

  expect(await countIn(db, bobRows)).toBe(0);
  expect(await countIn(db, 'SELECT COUNT(*) AS n FROM `gca_raw.quarantine`')).toBe(0);
  expect(
    await countIn(
      db,
      `SELECT COUNT(*) AS n FROM \`gca_analytics.suggestions\` WHERE user_id = '${bob}'`,
    ),
  ).toBe(0);
  // Alice untouched.
  expect(await countIn(db, 'SELECT COUNT(*) AS n FROM `gca_raw.requests`')).toBe(2);
  expect(await countIn(db, 'SELECT COUNT(*) AS n FROM `gca_raw.metadata_events`')).toBe(4);

  const done = await runCli(['erasure-requests', '--user', 'bob@x.com', '--json'], {
    cwd: dir,
    env,
  });
  const [after] = parseRequests(done.stdout);
  expect(after).toMatchObject({
    id: request.id,
    status: 'done',
    completedAt: RUN_AT.toISOString(),
    attempts: 1,
    lastError: null,
  });
  expect(after?.counts).toMatchObject({
    'gca_raw.requests': 2,
    'gca_raw.metadata_events': 4,
    'gca_raw.quarantine': 1,
    'gca_analytics.suggestions': 2,
  });
  expect(
    parseRequests(
      (await runCli(['erasure-requests', '--status', 'pending', '--json'], { cwd: dir, env }))
        .stdout,
    ),
  ).toEqual([]);

  const table = await runCli(['erasure-requests'], { cwd: dir, env });
  expect(table.code).toBe(0);
  const total = Object.values(after?.counts ?? {}).reduce((a, b) => a + b, 0);
  expect(table.stdout).toMatch(/^ID\s+STATUS\s+REQUESTED\s+COMPLETED\s+ATTEMPTS\s+ROWS\s+USER\n/);
  expect(table.stdout).toMatch(
    new RegExp(
      `${request.id}\\s+done\\s+${FILED_AT.toISOString()}\\s+${RUN_AT.toISOString()}\\s+1\\s+${total}\\s+bob@x\\.com\\n`,
    ),
  );

  // A new request for the same user once done is a new one.
  const next = await runCli(['request-erasure', 'bob@x.com', '--json'], { cwd: dir, env });
  expect(ErasureRequestSchema.parse(JSON.parse(next.stdout)).id).not.toBe(request.id);

  for (const out of [filed, again, pending, done, table, next]) {
    expect(out.stdout + out.stderr).not.toContain(KEY);
  }
}, 60_000);

it('fails on one line when the cloud configuration is missing or wrong', async () => {
  const noProject = await runCli(['request-erasure', 'bob@x.com'], {
    cwd: dir,
    env: { GCA_STATE: 'firestore' },
  });
  expect(noProject.code).toBe(2);
  expect(noProject.stdout).toBe('');
  expect(noProject.stderr).toMatch(
    /^gca-analytics: the state store is not configured: GOOGLE_CLOUD_PROJECT: required .*\n$/,
  );
  // GCA_STATE defaults to firestore, as in the functions.
  const unset = await runCli(['erasure-requests'], { cwd: dir, env: {} });
  expect(unset.code).toBe(2);
  expect(unset.stderr).toContain('GOOGLE_CLOUD_PROJECT: required');

  const badCollection = await runCli(['erasure-requests'], {
    cwd: dir,
    env: { ...env, GCA_FIRESTORE_COLLECTION: 'a/b' },
  });
  expect(badCollection.code).toBe(2);
  expect(badCollection.stderr).toMatch(/^gca-analytics: .*GCA_FIRESTORE_COLLECTION: .*\n$/);

  const badStatus = await runCli(['erasure-requests', '--status', 'failed'], { cwd: dir, env });
  expect(badStatus.code).toBe(2);
  expect(badStatus.stderr).toContain('--status must be pending or done');

  const empty = await runCli(['request-erasure', '  '], { cwd: dir, env });
  expect(empty.code).toBe(2);
  expect(empty.stderr).toContain('the user id is empty');

  // An unrelated bad variable does not block a request; a short key is never echoed anyway.
  const unrelated = await runCli(['erasure-requests', '--json'], {
    cwd: dir,
    env: { ...env, GCA_CONTENT_MODE: 'everything', GCA_PSEUDONYMIZE_KEY: 'shortsecret' },
  });
  expect(unrelated.code).toBe(0);
  expect(parseRequests(unrelated.stdout)).toEqual([]);
}, 30_000);

it('documents the configuration in --help', async () => {
  const help = await runCli(['request-erasure', '--help'], { cwd: dir, env: {} });
  expect(help.code).toBe(0);
  for (const name of [
    'GCA_STATE',
    'GOOGLE_CLOUD_PROJECT',
    'GCA_FIRESTORE_DATABASE',
    'GCA_FIRESTORE_COLLECTION',
    'retention',
  ]) {
    expect(help.stdout).toContain(name);
  }
  const top = await runCli(['--help'], { cwd: dir, env: {} });
  expect(top.stdout).toMatch(/request-erasure/);
  expect(top.stdout).toMatch(/erasure-requests/);
});
