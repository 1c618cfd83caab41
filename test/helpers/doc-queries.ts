/**
 * The ready queries of a Markdown guide: each is a ```sql block preceded by
 * `<!-- query: name (param, ...) -->`, so tests can run (DuckDB) and analyze (ZetaSQL) exactly
 * the text an analyst copies.
 */
export interface DocQuery {
  params: string[];
  sql: string;
}

export function extractDocQueries(markdown: string): Map<string, DocQuery> {
  const out = new Map<string, DocQuery>();
  const re = /<!-- query: ([a-z-]+) \(([a-z_, ]*)\) -->\s*```sql\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(re)) {
    const params = (m[2] ?? '').split(',').map((p) => p.trim());
    out.set(m[1] ?? '', { params: params.filter(Boolean), sql: m[3] ?? '' });
  }
  return out;
}
