/**
 * The statements of an incremental run with a lookback, rendered for BigQuery: every read of
 * `metadata_events` filters its partition column `event_timestamp`, and every read of
 * `suggestions` its partition column `day`, with parameters (constant filters BigQuery prunes
 * on). The unbounded scopes (full rebuild, erasure) keep their reads whole.
 */
import {
  deleteChangedSuggestionsSql,
  insertSuggestionsSql,
  suggestionChangesSql,
  type SuggestionScope,
} from '../../../shared/sql/metrics';
import { renderSql } from '../../../shared/sql/render';

const target = { engine: 'bigquery', projectId: 'p' } as const;
const EVENTS = '`p.gca_raw.metadata_events`';
const SUGGESTIONS = '`p.gca_analytics.suggestions`';

/**
 * The WHERE clause of each read of `table`: the text after the table reference up to the next
 * SELECT (a subquery), `)` closing the read, or the end. Fails on a read without WHERE.
 */
function readFilters(sql: string, table: string): string[] {
  const out: string[] = [];
  let at = sql.indexOf(table);
  while (at >= 0) {
    // An INSERT's target is written, not read.
    if (!sql.slice(0, at).endsWith('INSERT INTO ')) {
      const rest = sql.slice(at + table.length);
      const where = /^(?:\s+AS\s+\w+)?(?:\s+JOIN\s+\w+\s+AS\s+\w+\s+ON\s[^\n]*)?\s+WHERE\b/.exec(
        rest,
      );
      out.push(where ? rest.slice(0, rest.search(/\bSELECT\b|\n\s*\)|$/)) : '(no WHERE)');
    }
    at = sql.indexOf(table, at + table.length);
  }
  return out;
}

const bounded: SuggestionScope = { kind: 'window', lookback: true };
const statements: [string, string][] = [
  ['changes', suggestionChangesSql(bounded)],
  ['delete', deleteChangedSuggestionsSql(bounded)],
  ['insert', insertSuggestionsSql(bounded)],
];

describe('incremental statements with a lookback, rendered for BigQuery', () => {
  it.each(statements)('%s filters metadata_events on event_timestamp', (_name, sql) => {
    const filters = readFilters(renderSql(sql, target), EVENTS);
    expect(filters.length).toBeGreaterThanOrEqual(2);
    for (const f of filters) {
      expect(f).toMatch(/\bevent_timestamp >= @(min_event_time|rebuild_min_time)\b/);
    }
    // The rebuild's read (not only the touched keys) is bounded by the horizon.
    expect(filters.some((f) => /event_timestamp >= @rebuild_min_time\b/.test(f))).toBe(true);
  });

  it.each(statements)('%s filters suggestions on day', (name, sql) => {
    const rendered = renderSql(sql, target);
    const filters = readFilters(rendered, SUGGESTIONS);
    expect(filters.length).toBeGreaterThanOrEqual(2);
    for (const f of filters) expect(f).toMatch(/\bday (>=|<) @rebuild_min_day\b/);
    // Only the insert's guard looks at days before the horizon, reading key columns only.
    const older = filters.filter((f) => /\bday < @rebuild_min_day\b/.test(f));
    expect(older).toHaveLength(name === 'insert' ? 1 : 0);
    if (name === 'insert') {
      expect(rendered).toContain(
        `SELECT kind, original_request_id FROM ${SUGGESTIONS}\n    WHERE day < @rebuild_min_day\n`,
      );
    }
  });

  it('the delete reads and deletes only inside the horizon', () => {
    const filters = readFilters(
      renderSql(deleteChangedSuggestionsSql(bounded), target),
      SUGGESTIONS,
    );
    for (const f of filters) expect(f).toMatch(/\bday >= @rebuild_min_day\b/);
  });

  it.each<[string, SuggestionScope]>([
    ['all', { kind: 'all' }],
    ['users', { kind: 'users' }],
    ['window without lookback', { kind: 'window', lookback: false }],
  ])('scope %s stays unbounded', (_name, scope) => {
    for (const sql of [
      suggestionChangesSql(scope),
      deleteChangedSuggestionsSql(scope),
      insertSuggestionsSql(scope),
    ]) {
      expect(sql).not.toMatch(/rebuild_min_(time|day)|min_event_time/);
    }
  });
});
