/**
 * The activity tables' SQL on hand-checked cases (shared/sql/activity.ts), through recompute.
 * test/shared/jobs/recompute-activity.test.ts compares them with the former views on the sample.
 */
import { join } from 'node:path';
import { runRecompute } from '../../../shared/jobs/recompute';
import {
  ACTIVITY_TABLES,
  deleteActivitySql,
  insertActivitySql,
  touchedActivityDaysSql,
} from '../../../shared/sql/activity';
import { renderSql } from '../../../shared/sql/render';
import { openLocalStateStore } from '../../../shared/state/local';
import { dailyActiveUsersTable, interactionsTable } from '../../../shared/tables/registry';
import { openDuckDbWarehouse } from '../../../shared/warehouse/duckdb';
import { useTempWarehouse } from '../../helpers/duckdb';
// The row builders, as the other DuckDB tests import them.
import {
  batchOf,
  makeMetadataEvent,
  makeRequest,
  makeResponse,
} from '../../helpers/metadata-events';

describe('activity tables on DuckDB', () => {
  const temp = useTempWarehouse();

  /** A full recompute (no watermark yet), which builds the activity tables. */
  async function recompute(): Promise<void> {
    const state = await openLocalStateStore(join(temp.dir, 'state.json'));
    try {
      await runRecompute({ warehouse: temp.warehouse, state });
    } finally {
      await state.close();
    }
  }

  it.each(ACTIVITY_TABLES.map((t) => [t] as const))(
    '%s: range statements filter the partition columns with constants',
    (table) => {
      const insert = renderSql(insertActivitySql(table, 'range'), {
        engine: 'bigquery',
        projectId: 'p1',
      });
      expect(insert).toContain('`p1.gca_raw.');
      // Every raw read is bounded by the TIMESTAMP parameters; the output by the DATE ones.
      const reads = insert.match(/FROM `p1\.gca_raw\.\w+`/g) ?? [];
      const bounded = insert.match(
        /event_timestamp >= @read_from AND event_timestamp < @read_until/g,
      );
      expect(reads.length).toBeGreaterThan(0);
      expect(bounded).toHaveLength(reads.length);
      expect(insert).toContain('r.day >= @first_day AND r.day <= @last_day');
      expect(deleteActivitySql(table)).toMatch(/WHERE day >= @first_day AND day <= @last_day$/);
      expect(insertActivitySql(table, 'all')).not.toContain('@read_from');
    },
  );

  it('the touched-days query reads only the lookback with one', () => {
    expect(touchedActivityDaysSql(true).match(/event_timestamp >= @min_event_time/g)).toHaveLength(
      3,
    );
    expect(touchedActivityDaysSql(false)).not.toContain('@min_event_time');
  });

  it('the former views of an older local warehouse become tables', async () => {
    await temp.warehouse.close();
    const old = await openDuckDbWarehouse(temp.path);
    await old.execute('DROP TABLE `gca_analytics.interactions`');
    await old.execute('CREATE VIEW `gca_analytics.interactions` AS SELECT 1 AS request_id');
    await old.ensureSchema();
    const kinds = await old.query<{ table_type: string }>(
      "SELECT table_type FROM information_schema.tables WHERE table_name = 'interactions'",
    );
    expect(kinds).toEqual([{ table_type: 'BASE TABLE' }]);
    temp.warehouse = old;
  });

  it('interactions joins request, response and api_request by request_id, without content', async () => {
    const req = makeRequest({
      request_id: 'r1',
      at: '2025-10-08T10:00:00Z',
      prompt_chars: 120,
      context_files: [
        { path: 'a.py', extension: 'py', language: 'python', states: [], chars: 10 },
        { path: 'b.py', extension: 'py', language: 'python', states: [], chars: 20 },
      ],
      tool_results: [{ name: 'read_file', chars: 5 }],
    });
    const resp = makeResponse({
      request_id: 'r1',
      at: '2025-10-08T10:00:01.250Z',
      response_chars: 300,
      tool_calls: [
        { name: 'read_file', arguments: '{"path":"a.py"}' },
        { name: 'replace', arguments: null },
      ],
    });
    const api = makeMetadataEvent({
      type: 'api_request',
      id: null,
      at: '2025-10-08T10:00:00.5Z',
      requestId: 'r1',
    });
    const onlyResp = makeResponse({ request_id: 'r2', at: '2025-10-09T00:00:00Z' });
    // A duplicate row of the request (BigQuery keeps them sometimes) changes nothing.
    await temp.warehouse.insertRaw(
      batchOf({ requests: [req], responses: [resp, onlyResp], metadata_events: [api] }),
    );
    await temp.warehouse.execute('INSERT INTO `gca_raw.requests` SELECT * FROM `gca_raw.requests`');
    // Each test states every row of its table in full.
    await recompute();
    const rows = await temp.warehouse.query(
      'SELECT * FROM `gca_analytics.interactions` ORDER BY request_id',
    );
    expect(rows).toEqual([
      {
        request_id: 'r1',
        day: '2025-10-08',
        user_id: 'alice@example.com',
        project_id: 'p',
        product: 'code_assist',
        method: 'CompleteTask',
        client_name: 'VSCode',
        client_version: '1.0',
        request_kind: 'task_completion',
        response_kind: 'task_completion',
        request_time: '2025-10-08T10:00:00.000000Z',
        response_time: '2025-10-08T10:00:01.250000Z',
        latency_ms: 1250,
        prompt_chars: 120,
        response_chars: 300,
        context_file_count: 2,
        tool_result_count: 1,
        tool_call_count: 2,
        tool_names: ['read_file', 'replace'],
        has_api_request: true,
      },
      {
        request_id: 'r2',
        day: '2025-10-09',
        user_id: 'alice@example.com',
        project_id: 'p',
        product: 'code_assist',
        method: 'CompleteTask',
        client_name: 'VSCode',
        client_version: '1.0',
        request_kind: null,
        response_kind: 'task_completion',
        request_time: null,
        response_time: '2025-10-09T00:00:00.000000Z',
        latency_ms: null,
        prompt_chars: null,
        response_chars: 2,
        context_file_count: null,
        tool_result_count: null,
        tool_call_count: 0,
        tool_names: [],
        has_api_request: false,
      },
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual(interactionsTable.columns.map((c) => c.name));
  });

  it('daily_active_users counts requests and distinct suggestions per user and day', async () => {
    await temp.warehouse.insertRaw(
      batchOf({
        requests: [
          makeRequest({ request_id: 'q1', at: '2025-10-08T10:00:00Z' }),
          makeRequest({ request_id: 'q2', at: '2025-10-08T11:00:00Z' }),
          makeRequest({ request_id: 'q3', at: '2025-10-08T11:00:00Z', user_id: 'bob@example.com' }),
        ],
        metadata_events: [
          makeMetadataEvent({ type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' }),
          makeMetadataEvent({ type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:01Z' }),
          makeMetadataEvent({ type: 'chat_exposure', id: 'a', at: '2025-10-08T10:00:01Z' }),
          makeMetadataEvent({ type: 'code_acceptance', id: 'a', at: '2025-10-09T10:00:00Z' }),
        ],
      }),
    );
    // Each test states every row of its table in full.
    await recompute();
    const rows = await temp.warehouse.query(
      'SELECT * FROM `gca_analytics.daily_active_users` ORDER BY day, user_id',
    );
    expect(rows).toEqual([
      {
        day: '2025-10-08',
        user_id: 'alice@example.com',
        requests: 2,
        suggestions_exposed: 2,
        suggestions_accepted: 0,
      },
      {
        day: '2025-10-08',
        user_id: 'bob@example.com',
        requests: 1,
        suggestions_exposed: 0,
        suggestions_accepted: 0,
      },
      {
        day: '2025-10-09',
        user_id: 'alice@example.com',
        requests: 0,
        suggestions_exposed: 0,
        suggestions_accepted: 1,
      },
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual(dailyActiveUsersTable.columns.map((c) => c.name));
  });
});
