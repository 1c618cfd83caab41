/**
 * showInteraction on the BigQuery adapter, against the local BigQuery endpoint: the queries are
 * rendered for BigQuery (project-qualified tables, named parameters) and the wire rows decode
 * into the same view as on DuckDB.
 */
import { showInteraction } from '../../../shared/datasets/show';
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

const warehouse = () =>
  fakeWarehouse(fake, { datasets: { gca_raw: 'raw_x', gca_analytics: 'an_x' } });

describe('showInteraction on BigQuery', () => {
  it('reads the request, response and events with BigQuery SQL', async () => {
    fake.onQuery((q) => {
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
