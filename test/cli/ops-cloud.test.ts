/**
 * The operating commands follow GCA_WAREHOUSE as every command does: `quarantine list` and
 * `quarantine reprocess` with GCA_WAREHOUSE=bigquery run their statements as BigQuery jobs on the
 * configured raw dataset (the local REST endpoint) and write no local warehouse.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fakeFields,
  fakeFactories,
  startFakeBigQuery,
  type FakeBigQuery,
} from '../helpers/fake-bigquery';
import { runCli } from './run-cli';

let fake: FakeBigQuery;
let dir: string;
let env: Record<string, string>;
beforeEach(async () => {
  fake = await startFakeBigQuery();
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-ops-cloud-'));
  env = {
    GCA_WAREHOUSE: 'bigquery',
    GCA_STATE: `local:${join(dir, 'state.json')}`,
    GOOGLE_CLOUD_PROJECT: fake.projectId,
    GCA_RAW_DATASET: 'raw_dev',
  };
  fake.onQuery((q) => {
    // The listing query's answer, as quarantine-bigquery.test.ts scripts it: here only that the
    // command reaches BigQuery matters.
    if (/^\s*SELECT reason, COUNT/.test(q.query)) {
      return {
        fields: fakeFields({
          reason: 'STRING',
          n: 'INT64',
          oldest: 'TIMESTAMP',
          newest: 'TIMESTAMP',
        }),
        rows: [['invalid_json', '4', '1772186400.0', '1772186400.0']],
      };
    }
    return { fields: [], rows: [] };
  });
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const factories = () => fakeFactories(fake);

it('quarantine list and reprocess run on BigQuery when GCA_WAREHOUSE says so', async () => {
  const list = await runCli(['quarantine', 'list', '--json', '--samples', '0'], {
    cwd: dir,
    env,
    factories: factories(),
  });
  expect(list.stderr).toBe('');
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout)).toMatchObject({ total: 4 });
  const reprocess = await runCli(['quarantine', 'reprocess', '--json'], {
    cwd: dir,
    env,
    factories: factories(),
  });
  expect(reprocess.code).toBe(0);
  expect(JSON.parse(reprocess.stdout)).toMatchObject({ read: 0, moved: 0 });
  const sql = fake
    .requestsTo(/\/jobs$/, 'POST')
    .map((j) => JSON.stringify(j.body))
    .join('\n');
  expect(sql).toContain('raw_dev.quarantine');
  expect(existsSync(join(dir, 'gca-analytics.duckdb'))).toBe(false);
});
