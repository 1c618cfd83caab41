/**
 * The retention job through the real BigQuery adapter and client, against the local fake
 * endpoint: what BigQuery would receive (project-qualified tables, partition filters, TIMESTAMP
 * cutoff parameters from the clock, the audit INSERT) and how a streaming-buffer refusal from
 * BigQuery itself leaves an erasure request pending.
 */
import { runRetention } from '../../../shared/jobs/retention';
import {
  paramsOf,
  startFakeBigQueryJobSetup,
  type FakeBigQueryJobSetup,
  type QueryRequestInfo,
} from '../../helpers/fake-bigquery';

const NOW = new Date('2026-03-01T00:00:00Z');
const STREAMING_BUFFER =
  'UPDATE or DELETE statement over table gca-test.gca_raw.responses would affect rows in the streaming buffer, which is not supported';

describe('runRetention on the BigQuery adapter (fake endpoint)', () => {
  let bq: FakeBigQueryJobSetup;

  beforeEach(async () => {
    bq = await startFakeBigQueryJobSetup();
    bq.fake.onQuery((q) => {
      if (/^\s*SELECT COUNT\(\*\) AS n/.test(q.query)) {
        return { fields: [{ name: 'n', type: 'INT64' }], rows: [['2']] };
      }
      if (/^\s*(UPDATE|DELETE|INSERT)/.test(q.query)) return { numDmlAffectedRows: 2 };
      return { fields: [], rows: [] };
    });
  });
  afterEach(() => bq.close());

  it('sends partition-filtered DML with cutoffs from the clock, and the audit row', async () => {
    const result = await runRetention({ warehouse: bq.warehouse, state: bq.state, now: () => NOW });
    expect(result.status).toBe('done');
    const dml = bq.fake.queries.filter((q) => /^\s*(UPDATE|DELETE)/.test(q.query));
    expect(dml).toHaveLength(8);
    for (const q of dml) {
      const table = /^(?:UPDATE|DELETE FROM) `gca-test\.gca_raw\.(\w+)`/.exec(q.query)?.[1];
      expect(table).toBeDefined();
      const partition = table === 'quarantine' ? 'quarantine_time' : 'event_timestamp';
      expect(q.query).toMatch(
        new RegExp(`\\nWHERE ${partition} < @(content|event|quarantine)_cutoff`),
      );
    }
    const update = dml.find((q) => q.query.startsWith('UPDATE `gca-test.gca_raw.requests`'));
    expect(update).toBeDefined();
    expect(paramsOf(update as QueryRequestInfo)).toMatchObject({
      content_cutoff: { type: 'TIMESTAMP', value: '2026-01-30T00:00:00.000000Z' },
      event_cutoff: { type: 'TIMESTAMP', value: '2025-01-25T00:00:00.000000Z' },
    });
    expect(update?.query).toContain('context_files = ARRAY(SELECT STRUCT(');
    expect(result.changes.filter((c) => c.action !== 'erased').every((c) => c.rows === 2)).toBe(
      true,
    );

    const insert = bq.fake.queries.find((q) => q.query.startsWith('INSERT INTO'));
    expect(insert?.query).toContain('INSERT INTO `gca-test.gca_analytics.retention_runs`');
    expect(insert?.query).toContain("STRUCT('gca_raw.requests' AS table_name");
    expect(insert?.query).not.toContain('struct_pack');
    expect(paramsOf(insert as QueryRequestInfo)).toMatchObject({
      run_time: { type: 'TIMESTAMP', value: '2026-03-01T00:00:00.000000Z' },
      dry_run: { type: 'BOOL', value: 'false' },
    });
  });

  it('a dry run sends only counts and the audit row', async () => {
    const result = await runRetention(
      { warehouse: bq.warehouse, state: bq.state, now: () => NOW },
      { dryRun: true },
    );
    expect(result.changes.every((c) => c.rows === 2)).toBe(true);
    const kinds = bq.fake.queries.map((q) => /^\s*(\w+)/.exec(q.query)?.[1]);
    expect(new Set(kinds)).toEqual(new Set(['SELECT', 'INSERT']));
  });

  it("BigQuery's streaming-buffer refusal leaves the erasure request pending", async () => {
    bq.fake.onQuery((q) => {
      if (q.query.startsWith('DELETE FROM `gca-test.gca_raw.responses`\nWHERE user_id')) {
        return { error: { reason: 'invalidQuery', message: STREAMING_BUFFER } };
      }
      if (/^\s*SELECT COUNT\(\*\) AS n/.test(q.query)) {
        return { fields: [{ name: 'n', type: 'INT64' }], rows: [['0']] };
      }
      if (/^\s*(UPDATE|DELETE|INSERT)/.test(q.query)) return { numDmlAffectedRows: 1 };
      return { fields: [], rows: [] };
    });
    await bq.state.requestErasure('bob@x.com', NOW);
    const result = await runRetention({ warehouse: bq.warehouse, state: bq.state, now: () => NOW });
    expect(result).toMatchObject({ status: 'done', erasuresDone: 0, erasuresPending: 1 });
    const [pending] = await bq.state.listErasureRequests('pending');
    expect(pending).toMatchObject({ attempts: 1, status: 'pending' });
    expect(pending?.lastError).toMatch(/^streaming buffer: /);
    const erase = bq.fake.queries.find((q) =>
      q.query.startsWith('DELETE FROM `gca-test.gca_raw.requests`\nWHERE user_id'),
    );
    expect(paramsOf(erase as QueryRequestInfo).users).toEqual({
      type: 'ARRAY',
      value: ['bob@x.com'],
    });
  });
});
