import {
  REGISTRY,
  COLUMN_TYPES,
  COLUMN_MODES,
  type ColumnDef,
} from '../../../shared/tables/registry';

function allColumns(cols: readonly ColumnDef[]): ColumnDef[] {
  return cols.flatMap((c) => [c, ...allColumns(c.fields ?? [])]);
}

describe('table registry', () => {
  it.each(REGISTRY.map((t) => [`${t.dataset}.${t.name}`, t] as const))(
    '%s is well formed',
    (_name, table) => {
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const c of allColumns(table.columns)) {
        expect(COLUMN_TYPES).toContain(c.type);
        expect(COLUMN_MODES).toContain(c.mode);
        expect(c.description.length).toBeGreaterThan(0);
        expect(c.name).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(c.type === 'RECORD').toBe(Array.isArray(c.fields));
      }
      for (const k of [...table.key, ...(table.clusterBy ?? [])]) expect(names).toContain(k);
      if (table.partitionBy) {
        const p = table.columns.find((c) => c.name === table.partitionBy);
        expect(p && ['TIMESTAMP', 'DATE'].includes(p.type)).toBe(true);
      }
    },
  );

  it('keeps content out of the analytics dataset', () => {
    for (const t of REGISTRY.filter((t) => t.dataset === 'gca_analytics')) {
      expect(allColumns(t.columns).filter((c) => c.content)).toEqual([]);
    }
  });
});
