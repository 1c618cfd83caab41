/**
 * A dev and a prod stack in one project (issue 14 item 5): with `namePrefix` `dev` and `prod`,
 * the two programs share no physical name, so neither can take or delete the other's resources.
 */
import { installMocks, stackConfig, type Recorded } from './pulumi-mocks';
import { deployed, fixtureArtifacts } from './mocked-pipeline';
import { allStrings } from './pipeline-assertions';

const recorded: Recorded[] = installMocks();

/* eslint-disable @typescript-eslint/no-require-imports -- loaded after setMocks, on purpose */
const { parseInfraConfig } = require('../../infra/config') as typeof import('../../infra/config');
const { createPipeline } = require('../../infra/pipeline') as typeof import('../../infra/pipeline');
/* eslint-enable @typescript-eslint/no-require-imports */

const artifacts = fixtureArtifacts();

/** The inputs that name a resource in Google Cloud (not Pulumi's logical name). */
const NAMING_INPUTS = ['name', 'accountId', 'datasetId', 'displayName', 'bucket'];

/** `type name=...` for each resource that has a physical name. */
function physicalNames(resources: readonly Recorded[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const named = NAMING_INPUTS.filter((k) => typeof r.inputs[k] === 'string');
    // IAM bindings name their target, not themselves; checked through their members below.
    if (named.length === 0 || /iam|access/i.test(r.type)) continue;
    const id = r.type === 'gcp:bigquery/table:Table' ? ['datasetId', 'tableId'] : named;
    out.add(`${r.type} ${id.map((k) => `${k}=${String(r.inputs[k])}`).join(' ')}`);
  }
  return out;
}

const stacks: Record<'dev' | 'prod', Recorded[]> = { dev: [], prod: [] };

beforeAll(async () => {
  for (const prefix of ['dev', 'prod'] as const) {
    const before = recorded.length;
    const outputs = createPipeline(
      parseInfraConfig(stackConfig({ 'gca-analytics:namePrefix': prefix })),
      artifacts,
    );
    await deployed(recorded, outputs);
    stacks[prefix] = recorded.slice(before);
  }
});

it('loads two full stacks', () => {
  expect(stacks.dev.length).toBeGreaterThan(80);
  expect(stacks.prod.length).toBe(stacks.dev.length);
});

it('shares no physical name between dev and prod', () => {
  const dev = physicalNames(stacks.dev);
  const prod = physicalNames(stacks.prod);
  expect(dev.size).toBeGreaterThanOrEqual(40);
  expect([...dev].filter((n) => prod.has(n))).toEqual([]);
});

it('shares nothing at all but the project APIs and the Pub/Sub agent', () => {
  const prod = new Set(stacks.prod.map((r) => `${r.type} ${JSON.stringify(r.inputs)}`));
  // Components and the wait exist only in the stack's state, not in the cloud.
  const inCloud = stacks.dev.filter((r) => r.type.startsWith('gcp:'));
  const same = inCloud.filter((r) => prod.has(`${r.type} ${JSON.stringify(r.inputs)}`));
  expect([...new Set(same.map((r) => r.type))].sort()).toEqual([
    'gcp:projects/service:Service',
    'gcp:projects/serviceIdentity:ServiceIdentity',
  ]);
});

it('names each kind of resource in the form it accepts', () => {
  const names = allStrings(stacks.dev.map((r) => r.inputs));
  for (const expected of [
    'dev-gca-logs',
    'dev-gca-logs-dead-letter',
    'dev-gca-logs-dead-letter-pull',
    'dev-gca-logs-ingest-push',
    'dev-gca-analytics-logs',
    'dev_gca_raw',
    'dev_gca_analytics',
    'dev-gca-analytics',
    'dev-gca-ingest',
    'dev-gca-recompute-schedule',
    'dev-gca-retention-scheduler',
    'dev_gca_ingest_quarantined',
    'dev-gca-ingest-requests',
    'acme-gca-prod-dev-gca-functions-source',
  ]) {
    expect([expected, names.includes(expected)]).toEqual([expected, true]);
  }
  for (const r of stacks.dev.filter((x) => x.type === 'gcp:serviceaccount/account:Account')) {
    expect(String(r.inputs.accountId)).toMatch(/^dev-[a-z][-a-z0-9]{4,24}[a-z0-9]$/);
  }
  // The views read the stack's own raw dataset.
  const views = stacks.dev.filter(
    (r) => r.type === 'gcp:bigquery/table:Table' && r.inputs.view !== undefined,
  );
  for (const v of views) expect(JSON.stringify(v.inputs.view)).toContain('.dev_gca_raw.');
  // Each stack excludes its own ingest's request logs only.
  const exclusion = stacks.dev.find(
    (r) => r.type === 'gcp:logging/projectExclusion:ProjectExclusion',
  );
  expect(String(exclusion?.inputs.filter)).toContain(
    'resource.labels.service_name="dev-gca-ingest"',
  );
  for (const r of stacks.dev.filter((x) => x.type === 'gcp:monitoring/alertPolicy:AlertPolicy')) {
    expect(String(r.inputs.displayName)).toMatch(/^gca-analytics \[dev\]: /);
  }
});
