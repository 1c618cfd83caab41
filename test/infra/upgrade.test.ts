/**
 * A stack deployed by the first release (before `namePrefix`, with the components `Warehouse`
 * and `StateStore` and children named by their physical names) upgrades in place: every URN in
 * its state is answered by a resource of today's program, its own URN or an alias, so
 * `pulumi up` adopts the datasets, tables, database, topics and accounts instead of creating
 * second ones (which would fail on the taken names) and deleting the first.
 *
 * fixtures/first-release-urns.json lists the URNs of that release's program (commit 405426e)
 * with only gcp:project and gcp:region set, registered under the same mocks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Recorded } from './pulumi-mocks';
import { deployed, mockPipeline } from './mocked-pipeline';

const { recorded, outputs } = mockPipeline({}, { aliasUrns: true });

/* eslint-disable @typescript-eslint/no-require-imports -- loaded after setMocks, on purpose */
const { ANALYTICS_DATASETS_FORMERLY } =
  require('../../infra/components/analytics-datasets') as typeof import('../../infra/components/analytics-datasets');
const { CONTROL_STATE_DATABASE_FORMERLY } =
  require('../../infra/components/control-state-database') as typeof import('../../infra/components/control-state-database');
/* eslint-enable @typescript-eslint/no-require-imports */

const FIRST_RELEASE = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures/first-release-urns.json'), 'utf8'),
) as string[];

/**
 * What the program stopped declaring on purpose since then (a `pulumi up` deletes these): the
 * grants authorizing the views `interactions` and `daily_active_users` on gca_raw, which are
 * now tables that recompute maintains.
 */
const REMOVED = ['interactions', 'daily_active_users'].map(
  (view) =>
    `urn:pulumi:test::gca-analytics::gca-analytics:infra:Warehouse$gcp:bigquery/datasetAccess:DatasetAccess::gca_raw-authorize-${view}`,
);

beforeAll(() => deployed(recorded, outputs));

const urn = (type: string, name: string): string =>
  `urn:pulumi:test::gca-analytics::${type}::${name}`;

/**
 * The URNs each resource answers to. Under mocks the top-level components have no parent (no
 * root stack), and the SDK hands the aliases of a parentless resource to the engine unresolved,
 * as specs; the two renamed components' aliases are resolved here from their declarations.
 */
function answersTo(r: Recorded): string[] {
  const own = [r.urn, ...r.aliasUrns];
  if (r.urn === urn('gca-analytics:infra:AnalyticsDatasets', 'datasets')) {
    own.push(urn(ANALYTICS_DATASETS_FORMERLY.type, ANALYTICS_DATASETS_FORMERLY.name));
  }
  if (r.urn === urn('gca-analytics:infra:ControlStateDatabase', 'state')) {
    own.push(urn(CONTROL_STATE_DATABASE_FORMERLY.type, 'state'));
  }
  return own;
}

it('adopts every resource of a first-release stack (but those removed), by URN or alias', () => {
  expect(FIRST_RELEASE.length).toBeGreaterThan(80);
  const answered = new Set(recorded.flatMap(answersTo));
  expect(FIRST_RELEASE.filter((u) => !answered.has(u)).sort()).toEqual([...REMOVED].sort());
});

it('adopts each old resource with one new resource of the same type', () => {
  const renamed: Record<string, string> = {
    [ANALYTICS_DATASETS_FORMERLY.type]: 'gca-analytics:infra:AnalyticsDatasets',
    [CONTROL_STATE_DATABASE_FORMERLY.type]: 'gca-analytics:infra:ControlStateDatabase',
  };
  for (const old of FIRST_RELEASE.filter((u) => !REMOVED.includes(u))) {
    const type = (old.split('::')[2] ?? '').split('$').pop() ?? '';
    const adopters = recorded.filter((r) => answersTo(r).includes(old));
    // A renamed component keeps its place; its type token is what changed.
    expect([old, adopters.map((r) => r.type)]).toEqual([old, [renamed[type] ?? type]]);
  }
});

it('keeps the physical names of the first release', () => {
  const names = recorded.map((r) => r.inputs.name ?? r.inputs.datasetId ?? r.inputs.accountId);
  for (const name of [
    'gca-logs',
    'gca_raw',
    'gca-analytics',
    'gca-ingest',
    'gca-functions-build',
  ]) {
    expect([name, names.includes(name)]).toEqual([name, true]);
  }
});
