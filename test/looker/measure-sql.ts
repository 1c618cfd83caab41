/**
 * Translates LookML fields into plain SQL over their table, the way Looker expands them, so a
 * test can run a measure on DuckDB and compare it with the report: `${TABLE}` becomes the alias
 * `t`, `${field}` the field's own SQL, a measure its aggregate (with its `filters:` as a CASE).
 * Percentiles become DuckDB's `quantile_cont` (Looker emits BigQuery's own percentile function).
 */
import type { Field, View } from './project';

export const TABLE_ALIAS = 't';

function findDimension(view: View, ref: string): Field | undefined {
  const direct = view.dimension?.[ref];
  if (direct) return direct;
  for (const [name, g] of Object.entries(view.dimension_group ?? {})) {
    // A DATE dimension group's raw and date timeframes are the column itself.
    if (g.datatype === 'date' && (ref === `${name}_raw` || ref === `${name}_date`)) return g;
    if (g.datatype === 'timestamp' && ref === `${name}_raw`) return g;
  }
  return undefined;
}

function substitute(sql: string, resolve: (ref: string) => string, alias: string): string {
  return sql.replace(/\$\{([^}]+)\}/g, (_m, ref: string) =>
    ref === 'TABLE' ? alias : `(${resolve(ref)})`,
  );
}

/**
 * A dimension's SQL with every reference expanded; `${TABLE}` becomes `alias` (the view's name
 * in an explore's query, `t` for a view queried alone).
 */
export function compileDimension(view: View, ref: string, alias = TABLE_ALIAS): string {
  const d = findDimension(view, ref);
  if (!d?.sql) throw new Error(`no dimension ${ref}`);
  return substitute(d.sql.trim(), (r) => compileDimension(view, r, alias), alias);
}

/** The SQL condition of one LookML measure filter (the forms our views use). */
function filterCondition(view: View, field: string, value: string, alias: string): string {
  const d = findDimension(view, field);
  const sql = compileDimension(view, field, alias);
  if (d?.type === 'yesno') {
    if (value === 'yes') return `COALESCE(${sql}, FALSE)`;
    if (value === 'no') return `NOT COALESCE(${sql}, FALSE)`;
  } else if (/^[A-Za-z0-9_ ]+$/.test(value)) {
    return `${sql} = '${value}'`;
  }
  throw new Error(`unsupported filter ${field}: ${value}`);
}

/** A measure as an aggregate SQL expression over the view's table aliased `alias`. */
export function compileMeasure(view: View, name: string, alias = TABLE_ALIAS): string {
  const m = view.measure?.[name];
  if (!m) throw new Error(`no measure ${name}`);
  const conditions = Object.entries(m.filters ?? {}).map(([f, v]) =>
    filterCondition(view, f, v, alias),
  );
  const when = conditions.length ? conditions.join(' AND ') : null;
  const value = (): string =>
    substitute(
      (m.sql ?? '').trim(),
      (r) =>
        view.measure?.[r] ? compileMeasure(view, r, alias) : compileDimension(view, r, alias),
      alias,
    );
  const filtered = (expr: string): string =>
    when === null ? expr : `CASE WHEN ${when} THEN ${expr} END`;
  switch (m.type) {
    case 'sum':
      return `COALESCE(SUM(${filtered(value())}), 0)`;
    case 'count':
      return `COUNT(${filtered('1')})`;
    case 'count_distinct':
      return `COUNT(DISTINCT ${filtered(value())})`;
    case 'average':
      return `AVG(${filtered(value())})`;
    case 'percentile':
      return `quantile_cont(${filtered(value())}, ${(m.percentile ?? 50) / 100})`;
    case 'number':
      if (when !== null) throw new Error(`${name}: filters on a number measure`);
      return value();
    default:
      throw new Error(`${name}: unsupported measure type ${m.type}`);
  }
}

/**
 * `SELECT <group> AS g, <measures...> FROM table AS t [WHERE] GROUP BY g`, in BigQuery SQL
 * (plus quantile_cont), ready for the warehouse port.
 */
export function measureQuery(
  view: View,
  measures: readonly string[],
  groupBy?: string,
  where?: string,
): string {
  const table = (view.sql_table_name ?? '').trim();
  const cols = measures.map((m) => `${compileMeasure(view, m)} AS ${m}`);
  const group = groupBy === undefined ? null : compileDimension(view, groupBy);
  return [
    `SELECT ${group === null ? '' : `${group} AS g, `}${cols.join(', ')}`,
    `FROM ${table} AS ${TABLE_ALIAS}`,
    where === undefined ? '' : `WHERE ${where}`,
    group === null ? '' : 'GROUP BY 1',
  ].join('\n');
}
