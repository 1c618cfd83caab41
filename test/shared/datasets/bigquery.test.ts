/**
 * The datasets module on the BigQuery adapter, against the local BigQuery endpoint:
 * - showInteraction renders its queries for BigQuery (project-qualified tables, named
 *   parameters) and the wire rows decode into the same view as on DuckDB;
 * - createDataset sends BigQuery SQL on the configured raw dataset (never gca_analytics), the
 *   sample orders by FARM_FINGERPRINT, and the dataset row is written after its members.
 */
import { showInteraction } from '../../../shared/datasets/show';
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

/** The adapter on the fake, with dataset names of another environment. */
const warehouse = () =>
  fakeWarehouse(fake, { datasets: { gca_raw: 'raw_x', gca_analytics: 'an_x' } });

describe('showInteraction on BigQuery', () => {
  it('reads the request, response and events with BigQuery SQL', async () => {
    fake.onQuery((q) => {
      // One scripted answer per table read, each with that table's columns.
      if (q.query.includes('.requests`')) {
        return {
          fields: [
            ...fakeFields({
              event_timestamp: 'TIMESTAMP',
              request_kind: 'STRING',
              user_id: 'STRING',
              content_mode: 'STRING',
              prompt_text: 'STRING',
              message_count: 'INTEGER',
              prompt_chars: 'INTEGER',
            }),
            {
              name: 'context_files',
              type: 'RECORD',
              mode: 'REPEATED',
              fields: [
                { name: 'path', type: 'STRING' },
                { name: 'language', type: 'STRING' },
                { name: 'states', type: 'STRING', mode: 'REPEATED' },
                { name: 'chars', type: 'INTEGER' },
              ],
            },
          ],
          rows: [
            [
              '1759918192225165',
              'code_completion',
              'user@company.com',
              'scrubbed',
              null,
              '0',
              '34',
              [{ path: 'a.go', language: 'go', states: ['EDITED'], chars: '34' }],
            ],
          ],
        };
      }
      // The responses table's answer, with its own columns (as for requests above).
      if (q.query.includes('.responses`')) {
        return {
          fields: [
            ...fakeFields({
              event_timestamp: 'TIMESTAMP',
              response_kind: 'STRING',
              content_mode: 'STRING',
              response_text: 'STRING',
            }),
            {
              name: 'tool_calls',
              type: 'RECORD',
              mode: 'REPEATED',
              fields: fakeFields({ name: 'STRING', arguments: 'JSON' }),
            },
          ],
          rows: [
            [
              '1759918192227354',
              'code_completion',
              'scrubbed',
              'fmt.Println()',
              [{ name: 'read_file', arguments: '{"absolute_path":"/a.go"}' }],
            ],
          ],
        };
      }
      return { fields: [], rows: [] };
    });
    const view = await showInteraction(warehouse(), 'r-1');
    expect(view?.request).toMatchObject({
      time: '2025-10-08T10:09:52.225165Z',
      kind: 'code_completion',
      contextFiles: [{ path: 'a.go', language: 'go', states: ['EDITED'], chars: 34 }],
    });
    expect(view?.response?.toolCalls).toEqual([
      { name: 'read_file', arguments: { absolute_path: '/a.go' } },
    ]);
    const queries = fake.queries.map((q) => q.query);
    expect(queries.some((q) => q.includes('`gca-test.raw_x.requests`'))).toBe(true);
    expect(queries.some((q) => q.includes('`gca-test.an_x.suggestions`'))).toBe(true);
    expect(queries.every((q) => q.includes('@request_id'))).toBe(true);
  });

  it('returns null when no table knows the id', async () => {
    fake.onQuery(() => ({ fields: [], rows: [] }));
    expect(await showInteraction(warehouse(), 'nope')).toBeNull();
  });
});

describe('createDataset on BigQuery', () => {
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
    const result = await createDataset(warehouse(), {
      name: 's',
      filter: { from: '2025-10-01', to: '2025-10-31', sample: 3, seed: '7' },
      now: new Date('2025-10-20T12:00:00Z'),
    });
    expect(result.dataset).toMatchObject({ name: 's', members: 3, memberCount: 3 });
    const insert = queries.find((q) =>
      q.startsWith('INSERT INTO `gca-test.raw_x.dataset_members`'),
    );
    expect(insert).toContain('ORDER BY FARM_FINGERPRINT(CONCAT(@seed, request_id)), request_id');
    expect(insert).toContain('FROM `gca-test.raw_x.requests`');
    const at = (prefix: string) => queries.findIndex((q) => q.startsWith(prefix));
    expect(at('INSERT INTO `gca-test.raw_x.datasets`')).toBeGreaterThan(
      at('INSERT INTO `gca-test.raw_x.dataset_members`'),
    );
    expect(queries.join('\n')).not.toContain('an_x');
  });
});
