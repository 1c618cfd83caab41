import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  renderBigQuerySchema,
  renderBigQueryTableOptions,
  renderDataDictionary,
  renderDuckDbDdl,
  renderDuckDbTableDdl,
  renderDuckDbType,
} from '../../../shared/tables/render';
import { DATA_DICTIONARY_PATH, writeDataDictionary } from '../../../tools/write-dictionary';
import {
  REGISTRY,
  interactionsTable,
  metadataEventsTable,
  requestsTable,
  responsesTable,
  suggestionsTable,
  type TableDef,
} from '../../../shared/tables/registry';

/** A table without partitioning or clustering (every registry table has both today). */
const plainTable: TableDef = {
  ...interactionsTable,
  partitionBy: undefined,
  clusterBy: undefined,
};

describe('BigQuery schema rendering', () => {
  it('renders every column with type, mode, description and nested fields', () => {
    const schema = renderBigQuerySchema(requestsTable);
    expect(schema.map((f) => f.name)).toEqual(requestsTable.columns.map((c) => c.name));
    const ctx = schema.find((f) => f.name === 'context_files');
    expect(ctx).toMatchObject({ type: 'RECORD', mode: 'REPEATED' });
    expect(ctx?.fields?.map((f) => [f.name, f.type, f.mode])).toEqual([
      ['path', 'STRING', 'NULLABLE'],
      ['extension', 'STRING', 'NULLABLE'],
      ['language', 'STRING', 'NULLABLE'],
      ['states', 'STRING', 'REPEATED'],
      ['chars', 'INT64', 'REQUIRED'],
    ]);
    expect(schema.find((f) => f.name === 'entry_key')).toEqual({
      name: 'entry_key',
      type: 'STRING',
      mode: 'REQUIRED',
      description: requestsTable.columns[0].description,
    });
    // Scalars carry no `fields` key (the API rejects empty nested schemas).
    expect(schema.filter((f) => f.type !== 'RECORD').every((f) => !('fields' in f))).toBe(true);
  });

  it('renders partitioning and clustering options', () => {
    expect(renderBigQueryTableOptions(metadataEventsTable)).toEqual({
      timePartitioning: { type: 'DAY', field: 'event_timestamp' },
      clustering: { fields: ['event_type', 'original_request_id', 'user_id'] },
    });
    expect(renderBigQueryTableOptions(suggestionsTable).timePartitioning).toEqual({
      type: 'DAY',
      field: 'day',
    });
    expect(renderBigQueryTableOptions(interactionsTable)).toEqual({
      timePartitioning: { type: 'DAY', field: 'day' },
      clustering: { fields: ['user_id', 'method', 'client_name'] },
    });
    expect(renderBigQueryTableOptions(plainTable)).toEqual({});
  });
});

describe('DuckDB DDL rendering', () => {
  it.each([
    [
      'STRING NULLABLE',
      { name: 'a', type: 'STRING', mode: 'NULLABLE', description: 'd' },
      'VARCHAR',
    ],
    ['INT64', { name: 'a', type: 'INT64', mode: 'REQUIRED', description: 'd' }, 'BIGINT'],
    ['FLOAT64', { name: 'a', type: 'FLOAT64', mode: 'NULLABLE', description: 'd' }, 'DOUBLE'],
    ['BOOL', { name: 'a', type: 'BOOL', mode: 'NULLABLE', description: 'd' }, 'BOOLEAN'],
    [
      'TIMESTAMP',
      { name: 'a', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'd' },
      'TIMESTAMPTZ',
    ],
    ['DATE', { name: 'a', type: 'DATE', mode: 'NULLABLE', description: 'd' }, 'DATE'],
    ['JSON', { name: 'a', type: 'JSON', mode: 'NULLABLE', description: 'd' }, 'JSON'],
    [
      'REPEATED STRING',
      { name: 'a', type: 'STRING', mode: 'REPEATED', description: 'd' },
      'VARCHAR[]',
    ],
  ] as const)('%s', (_name, column, expected) => {
    expect(renderDuckDbType(column)).toBe(expected);
  });

  it('renders REPEATED RECORD as a list of structs', () => {
    const toolCalls = responsesTable.columns.find((c) => c.name === 'tool_calls');
    expect(toolCalls && renderDuckDbType(toolCalls)).toBe(
      'STRUCT("name" VARCHAR, "arguments" JSON)[]',
    );
  });

  it('renders CREATE TABLE IF NOT EXISTS with NOT NULL for REQUIRED', () => {
    const ddl = renderDuckDbTableDdl(metadataEventsTable);
    expect(ddl).toMatch(/^CREATE TABLE IF NOT EXISTS gca_raw\.metadata_events \(/);
    expect(ddl).toContain('"entry_key" VARCHAR NOT NULL');
    expect(ddl).toContain('"lines_count" BIGINT,');
  });

  it('creates schemas first, then every table', () => {
    const ddl = renderDuckDbDdl();
    expect(ddl.slice(0, 2)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS gca_raw',
      'CREATE SCHEMA IF NOT EXISTS gca_analytics',
    ]);
    expect(ddl).toHaveLength(2 + REGISTRY.length);
  });
});

describe('data dictionary', () => {
  it('documents every table, view and nested column', () => {
    const md = renderDataDictionary();
    for (const t of REGISTRY) expect(md).toContain(`\`${t.dataset}.${t.name}\``);
    expect(md).toContain('`context_files.states`');
    expect(md).toMatch(/`prompt_text` \| STRING \| NULLABLE \| .*\*\*content\*\*/);
  });

  it('is written under the given root', () => {
    const root = mkdtempSync(join(tmpdir(), 'gca-dict-'));
    try {
      const target = writeDataDictionary(root);
      expect(target).toBe(join(root, DATA_DICTIONARY_PATH));
      expect(readFileSync(target, 'utf8')).toBe(renderDataDictionary());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is committed up to date', () => {
    const committed = readFileSync(join(__dirname, '../../..', DATA_DICTIONARY_PATH), 'utf8');
    if (committed !== renderDataDictionary()) {
      throw new Error(`${DATA_DICTIONARY_PATH} is stale: run npm run docs`);
    }
  });
});
