/**
 * Renderers of the table registry: BigQuery schema JSON and table options (BigQuery adapter,
 * Pulumi), DuckDB DDL (DuckDB adapter) and the analysts' data dictionary (docs/). One registry,
 * three outputs, so a column cannot exist in one and not in the others.
 */
import {
  DATASETS,
  REGISTRY,
  type ColumnDef,
  type ColumnType,
  type Dataset,
  type TableDef,
} from './registry';

/** A BigQuery `TableFieldSchema` as the REST API and `@pulumi/gcp` `schema` JSON take it. */
export interface BigQueryField {
  name: string;
  type: ColumnType;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  description: string;
  fields?: BigQueryField[];
}

/** BigQuery table options derived from the registry (absent keys: not partitioned/clustered). */
export interface BigQueryTableOptions {
  timePartitioning?: { type: 'DAY'; field: string };
  clustering?: { fields: string[] };
}

function bigQueryField(c: ColumnDef): BigQueryField {
  const field: BigQueryField = {
    name: c.name,
    type: c.type,
    mode: c.mode,
    description: c.description,
  };
  if (c.fields) field.fields = c.fields.map(bigQueryField);
  return field;
}

/** The BigQuery schema (`fields`) of a table or view, nested RECORD fields included. */
export function renderBigQuerySchema(table: TableDef): BigQueryField[] {
  return table.columns.map(bigQueryField);
}

/** Day partitioning on the registry's partition column and clustering on its cluster columns. */
export function renderBigQueryTableOptions(table: TableDef): BigQueryTableOptions {
  const options: BigQueryTableOptions = {};
  if (table.partitionBy) options.timePartitioning = { type: 'DAY', field: table.partitionBy };
  if (table.clusterBy && table.clusterBy.length > 0) {
    options.clustering = { fields: [...table.clusterBy] };
  }
  return options;
}

/**
 * DuckDB type of a column. TIMESTAMP is TIMESTAMPTZ: the value is an instant (as in BigQuery),
 * and with the session's `TimeZone = 'UTC'` `DATE(ts)` and text output are UTC, as BigQuery's.
 * JSON is DuckDB's JSON type (text validated as JSON); RECORD is a STRUCT; REPEATED is a list.
 */
export function renderDuckDbType(column: ColumnDef): string {
  const base = duckDbScalar(column);
  return column.mode === 'REPEATED' ? `${base}[]` : base;
}

function duckDbScalar(column: ColumnDef): string {
  switch (column.type) {
    case 'STRING':
      return 'VARCHAR';
    case 'INT64':
      return 'BIGINT';
    case 'FLOAT64':
      return 'DOUBLE';
    case 'BOOL':
      return 'BOOLEAN';
    case 'TIMESTAMP':
      return 'TIMESTAMPTZ';
    case 'DATE':
      return 'DATE';
    case 'JSON':
      return 'JSON';
    case 'RECORD':
      // Struct fields carry no NOT NULL in DuckDB; REQUIRED is enforced by the row types.
      return `STRUCT(${(column.fields ?? [])
        .map((f) => `${quoteIdent(f.name)} ${renderDuckDbType(f)}`)
        .join(', ')})`;
  }
}

/** Quotes an identifier for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `CREATE TABLE IF NOT EXISTS` for one registry table. */
export function renderDuckDbTableDdl(table: TableDef): string {
  const cols = table.columns.map((c) => {
    // REQUIRED -> NOT NULL; REPEATED columns are never null in BigQuery, the adapter writes [].
    const notNull = c.mode === 'REQUIRED' ? ' NOT NULL' : '';
    return `  ${quoteIdent(c.name)} ${renderDuckDbType(c)}${notNull}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${table.dataset}.${table.name} (\n${cols.join(',\n')}\n)`;
}

/**
 * DDL for the whole local warehouse: the schemas, then every registry table. Idempotent.
 * Keys are not declared as PRIMARY KEY: the adapter dedups, and DuckDB's ART indexes would
 * slow bulk inserts and complicate delete-then-insert rebuilds.
 */
export function renderDuckDbDdl(registry: readonly TableDef[] = REGISTRY): string[] {
  return [
    ...DATASETS.map((d: Dataset) => `CREATE SCHEMA IF NOT EXISTS ${d}`),
    ...registry.map(renderDuckDbTableDdl),
  ];
}

// ---------------------------------------------------------------------------------------------
// Data dictionary

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function dictionaryRows(columns: readonly ColumnDef[], prefix: string): string[] {
  return columns.flatMap((c) => {
    const name = `${prefix}${c.name}`;
    const flags = c.content ? ' **content**' : '';
    const row = `| \`${name}\` | ${c.type} | ${c.mode} | ${escapeCell(c.description)}${flags} |`;
    return [row, ...dictionaryRows(c.fields ?? [], `${name}.`)];
  });
}

function renderTableSection(table: TableDef): string[] {
  const lines = [`### \`${table.dataset}.${table.name}\` (table)`, '', table.description, ''];
  const facts: string[] = [];
  if (table.partitionBy) facts.push(`partitioned by day of \`${table.partitionBy}\``);
  if (table.clusterBy?.length) {
    facts.push(`clustered by ${table.clusterBy.map((c) => `\`${c}\``).join(', ')}`);
  }
  facts.push(`key: ${table.key.map((c) => `\`${c}\``).join(', ')}`);
  lines.push(`${facts.join('; ')}.`, '');
  lines.push('| Column | Type | Mode | Description |', '| --- | --- | --- | --- |');
  lines.push(...dictionaryRows(table.columns, ''), '');
  return lines;
}

/** The analysts' data dictionary (Markdown) for every table and view of the registry. */
export function renderDataDictionary(registry: readonly TableDef[] = REGISTRY): string {
  const lines = [
    '# Data dictionary',
    '',
    '<!-- Generated from shared/tables/registry.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'Types are BigQuery types. TIMESTAMP values are UTC instants with microsecond precision;',
    'DATE values (`day`) are UTC days. Columns marked **content** hold user content (prompts,',
    'responses, code, file paths, tool arguments): they are governed by the content policy,',
    'nulled by content expiry, and never reach `gca_analytics`.',
    '',
    'Rates: never average `acceptance_rate`; re-aggregate with `SUM(accepted) / SUM(exposed)`',
    '(`SAFE_DIVIDE`), which is correct over any slice of days, users, IDEs or agent mode. By',
    '`programming_language` only code rates are meaningful: chat exposures carry no language, so',
    "a chat suggestion takes its acceptance's language and unaccepted ones are `unknown`.",
    '',
  ];
  for (const dataset of DATASETS) {
    lines.push(`## Dataset \`${dataset}\``, '');
    for (const table of registry.filter((t) => t.dataset === dataset)) {
      lines.push(...renderTableSection(table));
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
