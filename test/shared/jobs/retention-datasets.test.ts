/**
 * Datasets outlive content expiry, erasure still wins: on DuckDB with a fixed clock, the content
 * of interactions saved in a dataset survives content expiry (policy keepDatasetContent, on by
 * default) and the audit row counts it; with the switch off it expires like the rest; erasing
 * the user removes their interactions from the dataset and counts them.
 */
import { join } from 'node:path';
import { createDataset, getDataset } from '../../../shared/datasets/store';
import { processErasureRequests } from '../../../shared/jobs/erasure';
import { runRetention } from '../../../shared/jobs/retention';
import { ingestRecords } from '../../../shared/pipeline/ingest';
import { openLocalStateStore } from '../../../shared/state/local';
import type { StateStore } from '../../../shared/state/port';
import { openTempWarehouse, type TempWarehouse } from '../../helpers/duckdb';
import { entryText, makeRequestEntry, makeResponseEntry } from '../../helpers/entries';

const NOW = new Date('2026-03-01T00:00:00Z');
const DAY = '2025-12-01'; // 90 days old: past content expiry (30), before row expiry (400)

let temp: TempWarehouse;
let state: StateStore;
beforeEach(async () => {
  temp = await openTempWarehouse();
  state = await openLocalStateStore(join(temp.dir, 'state.json'));
  const entries = ['alice@x.com', 'bob@x.com'].flatMap((user) => {
    const labels = { user_id: user, request_id: `req-${user}` };
    const timestamp = `${DAY}T10:00:00Z`;
    return [
      makeRequestEntry({ timestamp, labels }),
      makeResponseEntry(['Here it is.'], { timestamp, labels }),
    ];
  });
  await ingestRecords(
    entries.map((e, i) => ({ text: entryText(e), source: `file:f#${i}` })),
    temp.warehouse,
    { context: { ingestTime: '2026-02-28T00:00:00.000000Z', contentMode: 'full' } },
  );
  await createDataset(temp.warehouse, {
    name: 'alice-set',
    filter: { from: DAY, to: DAY, user: 'alice@x.com' },
    now: NOW,
  });
});
afterEach(async () => {
  await state.close();
  await temp.cleanup();
});

async function contentByUser(): Promise<Record<string, boolean>> {
  const rows = await temp.warehouse.query<{ user_id: string; has: boolean }>(
    `SELECT user_id, LOGICAL_AND(payload IS NOT NULL) AS has FROM (
       SELECT user_id, payload FROM \`gca_raw.requests\`
       UNION ALL SELECT user_id, payload FROM \`gca_raw.responses\`
     ) AS t GROUP BY user_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.user_id, r.has]));
}

async function auditKept(): Promise<unknown[]> {
  const rows = await temp.warehouse.query<{ k: number }>(
    'SELECT dataset_content_kept AS k FROM `gca_analytics.retention_runs` ORDER BY dry_run DESC',
  );
  return rows.map((r) => r.k);
}

const expired = (changes: { table: string; action: string; rows: number }[]) =>
  changes
    .filter((c) => c.action === 'content_expired' && c.rows > 0)
    .map((c) => `${c.table}:${c.rows}`);

it('keeps the content of dataset members past content expiry and counts it', async () => {
  const dry = await runRetention(
    { warehouse: temp.warehouse, state, now: () => NOW },
    { dryRun: true },
  );
  const real = await runRetention({ warehouse: temp.warehouse, state, now: () => NOW });
  expect(dry.datasetContentKept).toBe(2);
  expect(real.datasetContentKept).toBe(2);
  expect(expired(real.changes)).toEqual(['gca_raw.requests:1', 'gca_raw.responses:1']);
  expect(await contentByUser()).toEqual({ 'alice@x.com': true, 'bob@x.com': false });
  expect(await auditKept()).toEqual([2, 2]);
});

it('lets the content expire when the policy switch is off', async () => {
  await state.setRetentionPolicy({
    contentDays: 30,
    eventDays: 400,
    quarantineDays: 30,
    keepDatasetContent: false,
  });
  const run = await runRetention({ warehouse: temp.warehouse, state, now: () => NOW });
  expect(run.datasetContentKept).toBe(0);
  expect(expired(run.changes)).toEqual(['gca_raw.requests:2', 'gca_raw.responses:2']);
  expect(await contentByUser()).toEqual({ 'alice@x.com': false, 'bob@x.com': false });
});

it('erasure removes the user from every dataset, and the datasets chosen by the user, and counts it', async () => {
  await createDataset(temp.warehouse, {
    name: 'everyone',
    filter: { from: DAY, to: DAY },
    now: NOW,
  });
  await state.requestErasure('alice@x.com', NOW);
  const [outcome] = await processErasureRequests({
    warehouse: temp.warehouse,
    state,
    now: () => NOW,
  });
  expect(outcome?.counts['gca_raw.dataset_members']).toBe(2);
  // The dataset chosen by her (`--user alice@x.com`) goes whole: its filter names her.
  expect(outcome?.counts['gca_raw.datasets']).toBe(1);
  expect(await getDataset(temp.warehouse, 'alice-set')).toBeNull();
  expect(await getDataset(temp.warehouse, 'everyone')).toMatchObject({
    memberCount: 2,
    members: 1,
  });
  // Nothing of alice is kept for a dataset any more: her rows are gone, bob's expire.
  const run = await runRetention({ warehouse: temp.warehouse, state, now: () => NOW });
  expect(run.datasetContentKept).toBe(2);
  expect(await contentByUser()).toEqual({ 'bob@x.com': true });
});
