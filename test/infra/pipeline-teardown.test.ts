/**
 * The program under mocks with `gca-analytics:deletionProtection` set to false, the one setting a
 * teardown needs: after `pulumi up` with it, nothing in the stack may stop `pulumi destroy` or
 * survive it (issue #5, docs/deploy.md "Tear down").
 */
import { deployed, mockPipeline } from './mocked-pipeline';
import { destroyGuards, ofType, one } from './pipeline-assertions';
import { REGISTRY } from '../../shared/tables/registry';

// This file checks protection settings, not bundles: one fixture bundle stands in for all three.
const { recorded, config, outputs } = mockPipeline({
  'gca-analytics:deletionProtection': 'false',
});

beforeAll(() => deployed(recorded, outputs));

it('reads the key as a boolean', () => {
  expect(config.deletionProtection).toBe(false);
});

it('turns deletion protection off on every table and view', () => {
  const tables = ofType(recorded, 'gcp:bigquery/table:Table');
  expect(tables).toHaveLength(REGISTRY.length);
  for (const t of tables) expect([t.name, t.inputs.deletionProtection]).toEqual([t.name, false]);
});

it('lets destroy empty both datasets', () => {
  const datasets = ofType(recorded, 'gcp:bigquery/dataset:Dataset');
  expect(datasets.map((d) => d.inputs.datasetId).sort()).toEqual(['gca_analytics', 'gca_raw']);
  for (const d of datasets) expect(d.inputs.deleteContentsOnDestroy).toBe(true);
});

it('lets destroy delete the Firestore database instead of abandoning it', () => {
  const db = one(recorded, 'gcp:firestore/database:Database');
  expect(db.inputs).toMatchObject({
    deleteProtectionState: 'DELETE_PROTECTION_DISABLED',
    deletionPolicy: 'DELETE',
  });
});

it('leaves nothing anywhere in the stack that stops or survives pulumi destroy', () => {
  // The source bucket is emptied on destroy whatever the setting: archives are rebuilt from git.
  expect(one(recorded, 'gcp:storage/bucket:Bucket').inputs.forceDestroy).toBe(true);
  expect(recorded.length).toBeGreaterThan(50);
  expect(destroyGuards(recorded)).toEqual(new Map());
});
