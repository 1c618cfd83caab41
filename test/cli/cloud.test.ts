/**
 * The command against the cloud adapters, as the functions use them: GCA_WAREHOUSE=bigquery
 * (a local endpoint speaking BigQuery's REST API, test/helpers/fake-bigquery.ts, with the real
 * client and adapter) and GCA_STATE=firestore (the Firestore emulator). `ingest` streams rows
 * to the configured datasets and writes no local file; `recompute`, `report` and `retention`
 * run their statements there, with the watermark and leases in Firestore. `--db` with
 * GCA_WAREHOUSE is a usage error.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '../../shared/deps';
import { RECOMPUTE_JOB } from '../../shared/jobs/recompute';
import { useFirestoreEmulatorInProcess } from '../helpers/emulators';
import { makeMetadataEntry, makeRequestEntry } from '../helpers/entries';
import { fakeFactories, startFakeBigQuery, type FakeBigQuery } from '../helpers/fake-bigquery';
import { runCli } from './run-cli';

const firestore = useFirestoreEmulatorInProcess();
let fake: FakeBigQuery;
let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  fake = await startFakeBigQuery({ projectId: firestore.emu.projectId });
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-cloud-'));
  env = {
    GCA_WAREHOUSE: 'bigquery',
    GCA_STATE: 'firestore',
    GOOGLE_CLOUD_PROJECT: firestore.emu.projectId,
    GCA_RAW_DATASET: 'raw_dev',
    GCA_ANALYTICS_DATASET: 'analytics_dev',
    GCA_BQ_LOCATION: 'EU',
    GCA_FIRESTORE_COLLECTION: `cli_${randomUUID()}`,
  };
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real factories, BigQuery's client pointed at the local endpoint (no credentials). */
const factories = () => fakeFactories(fake);

const run = (args: string[]) => runCli(args, { cwd: dir, env, factories: factories() });

it('ingests into BigQuery, recomputes there with its watermark in Firestore, writes no local file', async () => {
  const file = join(dir, 'logs.json');
  const entries = [
    makeRequestEntry({ insertId: 'c-r1' }),
    makeMetadataEntry('codeExposure', { originalRequestId: 's-1' }, { insertId: 'c-m1' }),
  ];
  writeFileSync(file, JSON.stringify(entries, null, 2));
  const ingested = await run(['ingest', file]);
  expect(ingested.stderr).toBe('');
  expect(ingested.code).toBe(0);
  expect(ingested.stdout).toContain('Read 2 entries: 2 stored');
  expect(ingested.stdout).toContain(
    `Warehouse: BigQuery ${firestore.emu.projectId} (raw_dev, analytics_dev; EU)`,
  );
  // Rows went to the configured raw dataset, with the entry keys as insertIds.
  const inserts = fake.requestsTo(
    /\/datasets\/raw_dev\/tables\/(requests|metadata_events)\/insertAll$/,
  );
  const rows = inserts.flatMap((r) => (r.body as { rows: unknown[] }).rows);
  expect(rows).toHaveLength(2);
  // Recompute ran its statements as query jobs in the location, on the configured datasets.
  const jobs = fake.requestsTo(/\/jobs$/, 'POST');
  expect(jobs.length).toBeGreaterThan(0);
  const sql = jobs.map((j) => JSON.stringify(j.body)).join('\n');
  expect(sql).toContain('analytics_dev');
  expect(sql).not.toMatch(/`gca_analytics\./);
  // Nothing local: no DuckDB file, no state file.
  expect(readdirSync(dir)).toEqual(['logs.json']);
  expect(existsSync(join(dir, 'gca-analytics.duckdb'))).toBe(false);
  // The watermark is in Firestore, where the recompute function reads it.
  const state = await openState({
    state: { kind: 'firestore' },
    projectId: firestore.emu.projectId,
    firestoreDatabase: '(default)',
    firestoreCollection: env.GCA_FIRESTORE_COLLECTION ?? '',
  });
  try {
    expect(await state.getWatermark(RECOMPUTE_JOB)).toMatch(/^2025-10-20T12:00:00/);
  } finally {
    await state.close();
  }

  // report and retention run there too.
  const before = fake.requestsTo(/\/jobs$/, 'POST').length;
  const report = await run(['report', '--json']);
  expect(report.stderr).toBe('');
  expect(report.code).toBe(0);
  expect(fake.requestsTo(/\/jobs$/, 'POST').length).toBeGreaterThan(before);
  const retention = await run(['retention', '--dry-run', '--json']);
  expect(retention.stderr).toBe('');
  expect(retention.code).toBe(0);
  expect(readdirSync(dir)).toEqual(['logs.json']);
}, 60_000);

it('refuses --db together with GCA_WAREHOUSE, and a cloud warehouse without a project', async () => {
  const both = await run(['report', '--db', 'x.duckdb']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--db and GCA_WAREHOUSE=bigquery both say where the data is/);
  const noProject = await runCli(['recompute'], {
    cwd: dir,
    env: { GCA_WAREHOUSE: 'bigquery' },
  });
  expect(noProject.code).toBe(2);
  expect(noProject.stderr).toMatch(/GOOGLE_CLOUD_PROJECT: required with GCA_WAREHOUSE=bigquery/);
  // demo writes a generated sample: local only, never into the configured BigQuery.
  const demo = await run(['demo']);
  expect(demo.code).toBe(2);
  expect(demo.stderr).toMatch(/works on a local DuckDB warehouse only/);
  expect(fake.requests).toHaveLength(0);
  expect(readdirSync(dir)).toEqual([]);
});

it('show and datasets open BigQuery and Firestore as every command does', async () => {
  // Through the factories of the run (ctx.open): the configured datasets and location.
  const listed = await run(['datasets', 'list']);
  expect(listed.stderr).toBe('');
  expect(listed.code).toBe(0);
  expect(listed.stdout).toBe(
    `No datasets in BigQuery ${firestore.emu.projectId} (raw_dev, analytics_dev; EU).\n`,
  );
  const sql = fake.requestsTo(/\/jobs$/, 'POST').map((j) => JSON.stringify(j.body));
  expect(sql.join('\n')).toContain('raw_dev');
  const shown = await run(['show', 'no-such-request']);
  expect(shown.code).toBe(1);
  expect(shown.stderr).toBe(
    `gca-analytics: no request, response or metadata event with request_id no-such-request in BigQuery ${firestore.emu.projectId} (raw_dev, analytics_dev; EU)\n`,
  );
  for (const args of [
    ['show', 'r1', '--db', 'w.duckdb'],
    ['datasets', 'list', '--db', 'w.duckdb'],
  ]) {
    const both = await run(args);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--db and GCA_WAREHOUSE=bigquery both say where the data is/);
  }
  // A local GCA_WAREHOUSE names the file; a missing one is a clear error, nothing is created.
  const local = await runCli(['datasets', 'list'], {
    cwd: dir,
    env: { GCA_WAREHOUSE: 'duckdb:missing.duckdb' },
  });
  expect(local.code).toBe(1);
  expect(local.stderr).toMatch(/no warehouse at .*missing\.duckdb/);
  expect(readdirSync(dir)).toEqual([]);
});

it('imports the team mapping into the configured analytics dataset, writing no local file', async () => {
  const file = join(dir, 'teams.csv');
  writeFileSync(file, 'user_id,team\nalice@example.com,Platform\nbob@example.com,Search\n');
  const imported = await run(['teams', 'import', file, '--json']);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(JSON.parse(imported.stdout)).toMatchObject({ users: 2, teams: 2 });
  const sql = fake
    .requestsTo(/\/jobs$/, 'POST')
    .map((j) => JSON.stringify(j.body))
    .join('\n');
  expect(sql).toContain('analytics_dev');
  expect(sql).toContain('user_teams');
  expect(readdirSync(dir)).toEqual(['teams.csv']);
});
