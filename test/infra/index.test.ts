/**
 * The program entry (`infra/index.ts`, Pulumi.yaml's main) under mocks with an organization
 * sink: it reads the stack config, bundles the real functions and exports the outputs.
 */
import * as pulumi from '@pulumi/pulumi';
import {
  PROJECT,
  WRITER_IDENTITIES,
  functionUrl,
  installMocks,
  stackConfig,
  valueOf,
  type Recorded,
} from './pulumi-mocks';
import { deployed } from './mocked-pipeline';
import { ofType, one } from './pipeline-assertions';

const recorded: Recorded[] = installMocks();
pulumi.runtime.setAllConfig(
  stackConfig({
    'gca-analytics:sinkScope': 'organization',
    'gca-analytics:sinkParentId': '998877665544',
  }),
);

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after setMocks
const program = require('../../infra/index') as typeof import('../../infra/index');

beforeAll(() => deployed(recorded, program));

// Each sink scope asserts its own resource (organization here, folder in pipeline-folder-cmek):
// alike by shape only.
it('creates an organization sink that includes child projects', () => {
  const sink = one(recorded, 'gcp:logging/organizationSink:OrganizationSink');
  expect(sink.inputs).toMatchObject({
    orgId: '998877665544',
    includeChildren: true,
    filter: 'resource.type="cloudaicompanion.googleapis.com/Instance"',
  });
  expect(ofType(recorded, 'gcp:logging/projectSink:ProjectSink')).toHaveLength(0);
});

it('exports the stack outputs', async () => {
  expect(await valueOf(program.rawDatasetId)).toBe('gca_raw');
  expect(await valueOf(program.analyticsDatasetId)).toBe('gca_analytics');
  expect(await valueOf(program.topic)).toBe(`projects/${PROJECT}/topics/gca-logs`);
  expect(await valueOf(program.deadLetterSubscription)).toBe(
    `projects/${PROJECT}/subscriptions/gca-logs-dead-letter-pull`,
  );
  expect(await valueOf(program.functionUrls)).toEqual({
    ingest: functionUrl('gca-ingest'),
    recompute: functionUrl('gca-recompute'),
    retention: functionUrl('gca-retention'),
  });
  expect(await valueOf(program.sinkWriterIdentity)).toBe(
    WRITER_IDENTITIES['gcp:logging/organizationSink:OrganizationSink'],
  );
  expect(await valueOf(program.firestoreDatabase)).toBe('gca-analytics');
});

it('deploys the real bundles, one hash-named object per function', () => {
  const objects = ofType(recorded, 'gcp:storage/bucketObject:BucketObject').map((o) =>
    String(o.inputs.name),
  );
  expect(objects.sort()).toEqual([
    expect.stringMatching(/^functions\/ingest-[0-9a-f]{16}\.zip$/),
    expect.stringMatching(/^functions\/recompute-[0-9a-f]{16}\.zip$/),
    expect.stringMatching(/^functions\/retention-[0-9a-f]{16}\.zip$/),
  ]);
});
