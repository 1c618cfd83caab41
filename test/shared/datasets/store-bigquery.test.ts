/**
 * createDataset on the BigQuery adapter, against the local BigQuery endpoint: every statement is
 * BigQuery SQL on the configured raw dataset (never gca_analytics), the sample orders by
 * FARM_FINGERPRINT, and the dataset row is written after its members.
 */
import { createDataset } from '../../../shared/datasets/store';
import {
  fakeFields,
  fakeWarehouse,
  startFakeBigQuery,
  type FakeBigQuery,
} from '../../helpers/fake-bigquery';

let fake: FakeBigQuery;
beforeEach(async () => {
  fake = await startFakeBigQuery({ projectId: 'gca-test' });
});
afterEach(async () => fake.close());

const DATASET_FIELDS = fakeFields({
  dataset_name: 'STRING',
  description: 'STRING',
  filter_json: 'STRING',
  created_at: 'TIMESTAMP',
  member_count: 'INTEGER',
  members: 'INTEGER',
});

it('creates a sampled dataset with BigQuery SQL in the raw dataset', async () => {
  const queries: string[] = [];
  let written = false;
  fake.onQuery((q) => {
    queries.push(q.query);
    if (q.query.startsWith('INSERT INTO `gca-test.raw_x.dataset_members`')) {
      return { numDmlAffectedRows: 3 };
    }
    if (q.query.startsWith('INSERT INTO `gca-test.raw_x.datasets`')) {
      written = true;
      return { numDmlAffectedRows: 1 };
    }
    if (q.query.startsWith('DELETE')) return { numDmlAffectedRows: 0 };
    if (q.query.includes('AS matched')) {
      return {
        fields: fakeFields({ matched: 'INTEGER', metadata_only: 'INTEGER', expired: 'INTEGER' }),
        rows: [['10', '0', '0']],
      };
    }
    const filter = '{"from":"2025-10-01","to":"2025-10-31","sample":3,"seed":"7"}';
    return {
      fields: DATASET_FIELDS,
      rows: written ? [['s', null, filter, '1760961600000000', '3', '3']] : [],
    };
  });
  const warehouse = fakeWarehouse(fake, { datasets: { gca_raw: 'raw_x', gca_analytics: 'an_x' } });
  const result = await createDataset(warehouse, {
    name: 's',
    filter: { from: '2025-10-01', to: '2025-10-31', sample: 3, seed: '7' },
    now: new Date('2025-10-20T12:00:00Z'),
  });
  expect(result.dataset).toMatchObject({ name: 's', members: 3, memberCount: 3 });
  const insert = queries.find((q) => q.startsWith('INSERT INTO `gca-test.raw_x.dataset_members`'));
  expect(insert).toContain('ORDER BY FARM_FINGERPRINT(CONCAT(@seed, request_id)), request_id');
  expect(insert).toContain('FROM `gca-test.raw_x.requests`');
  const at = (prefix: string) => queries.findIndex((q) => q.startsWith(prefix));
  expect(at('INSERT INTO `gca-test.raw_x.datasets`')).toBeGreaterThan(
    at('INSERT INTO `gca-test.raw_x.dataset_members`'),
  );
  expect(queries.join('\n')).not.toContain('an_x');
});
