/**
 * Quarantine reprocessing through the real BigQuery adapter and client, against the local fake
 * endpoint: what BigQuery receives (the keyset-paged SELECT, insertAll of the rows that now
 * normalize, one DELETE of the rows that leave, one UPDATE per new reason) and the listing query.
 */
import { reprocessQuarantine, listQuarantine } from '../../../shared/ops/quarantine';
import type { Warehouse } from '../../../shared/warehouse/port';
import {
  fakeFields,
  fakeWarehouse,
  paramsOf,
  startFakeBigQuery,
  type FakeBigQuery,
  type QueryRequestInfo,
} from '../../helpers/fake-bigquery';
import { entryText, makeMetadataEntry } from '../../helpers/entries';

const GOOD = entryText(
  makeMetadataEntry(
    'codeExposure',
    { originalRequestId: 's1' },
    { insertId: 'q-good', timestamp: '2026-02-27T10:00:00Z' },
  ),
);
const FIELDS = ['quarantine_id', 'source', 'message_id', 'reason', 'detail', 'raw', 'raw_bytes'];

let fake: FakeBigQuery;
let warehouse: Warehouse;
beforeEach(async () => {
  fake = await startFakeBigQuery();
  warehouse = fakeWarehouse(fake);
  fake.onQuery((q) => {
    if (/^\s*SELECT quarantine_id, source/.test(q.query)) {
      const rows =
        paramsOf(q).after?.value === ''
          ? [
              ['qa', 'pubsub', 'm1', 'invalid_payload', 'old', GOOD, String(GOOD.length)],
              ['qb', 'pubsub', 'm2', 'invalid_payload', 'old', 'not json', '8'],
              ['qc', 'pubsub', 'm3', 'invalid_payload', 'old', null, '8'],
            ]
          : [];
      return {
        fields: FIELDS.map((name) => ({ name, type: name === 'raw_bytes' ? 'INT64' : 'STRING' })),
        rows,
      };
    }
    // The listing query's answer (ops-cloud.test.ts scripts it too, to see the command get there).
    if (/^\s*SELECT reason, COUNT/.test(q.query)) {
      return {
        fields: fakeFields({
          reason: 'STRING',
          n: 'INT64',
          oldest: 'TIMESTAMP',
          newest: 'TIMESTAMP',
        }),
        rows: [['invalid_json', '2', '1772186400.0', '1772186400.0']],
      };
    }
    if (/^\s*(UPDATE|DELETE)/.test(q.query)) return { numDmlAffectedRows: 1 };
    return { fields: [], rows: [] };
  });
});
afterEach(() => fake.close());

it('pages by quarantine_id, writes what normalizes with insertAll, then deletes and updates', async () => {
  const result = await reprocessQuarantine(warehouse, {
    context: { ingestTime: '2026-03-01T00:00:00.000000Z', contentMode: 'scrubbed' },
    filter: { from: '2026-02-27', to: '2026-02-27' },
  });
  expect(result.counts).toMatchObject({
    read: 3,
    moved: 1,
    stillFailing: 1,
    reasonChanged: 1,
    noRaw: 1,
  });
  const select = fake.queries[0] as QueryRequestInfo;
  expect(select.query).toMatch(
    /FROM `gca-test\.gca_raw\.quarantine`\nWHERE quarantine_time >= @from_time AND quarantine_time < @to_time AND quarantine_id > @after\nORDER BY quarantine_id\nLIMIT 500/,
  );
  const inserts = fake.requestsTo(/metadata_events\/insertAll$/, 'POST');
  expect(inserts).toHaveLength(1);
  const body = inserts[0]?.body as { rows: { insertId: string; json: { insert_id: string } }[] };
  expect(body.rows.map((r) => r.json.insert_id)).toEqual(['q-good']);
  expect(body.rows[0]?.insertId).toBeTruthy();
  const dml = fake.queries.filter((q) => /^\s*(UPDATE|DELETE)/.test(q.query));
  expect(dml.map((q) => q.query.split('\n')[0])).toEqual([
    'DELETE FROM `gca-test.gca_raw.quarantine` WHERE quarantine_id IN UNNEST(@ids)',
    'UPDATE `gca-test.gca_raw.quarantine` SET reason = @reason, detail = @detail WHERE quarantine_id IN UNNEST(@ids)',
  ]);
  expect(paramsOf(dml[0] as QueryRequestInfo).ids?.value).toEqual(['qa']);
  expect(paramsOf(dml[1] as QueryRequestInfo)).toMatchObject({
    reason: { value: 'invalid_json' },
    ids: { value: ['qb'] },
  });
});

it('lists with a QUALIFY BigQuery accepts (after a WHERE) even without a filter', async () => {
  const listing = await listQuarantine(warehouse, {}, { samples: 2 });
  expect(listing.total).toBe(2);
  const samples = fake.queries.find((q) => /QUALIFY/.test(q.query));
  expect(samples?.query).toMatch(/\nWHERE TRUE\nQUALIFY ROW_NUMBER\(\)/);
});
