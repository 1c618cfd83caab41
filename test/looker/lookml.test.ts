import { REGISTRY, type TableDef } from '../../shared/tables/registry';
import {
  exploreFields,
  expandFieldRef,
  fieldView,
  isWrongByLanguage,
  languageSlices,
  loadProject,
  sqlRefs,
  viewFieldNames,
  type LookerProject,
  type View,
} from './project';

let project: LookerProject;

beforeAll(async () => {
  project = await loadProject();
});

function tableOf(view: View): TableDef | undefined {
  const m = /^\s*`([a-z_]+)\.([a-z_]+)`\s*$/.exec(view.sql_table_name ?? '');
  return REGISTRY.find((t) => t.dataset === m?.[1] && t.name === m?.[2]);
}

/** Every SQL snippet of a view, labelled for error messages. */
function viewSql(view: View): [string, string][] {
  const out: [string, string][] = [];
  for (const kind of ['dimension', 'dimension_group', 'measure'] as const) {
    for (const [name, f] of Object.entries(view[kind] ?? {})) {
      if (f.sql !== undefined) out.push([`${kind} ${name}`, f.sql]);
    }
  }
  return out;
}

/** The columns a derived table's outer SELECT returns (`name` or `... AS name`). */
function derivedColumns(sql: string | undefined): string[] {
  const list = /^\s*SELECT\s+([\s\S]*?)\s+FROM\s*\(/i.exec(sql ?? '')?.[1] ?? '';
  return list.split(',').map((item) => /(\w+)\s*$/.exec(item.trim())?.[1] ?? '');
}

/** The parent view and column of a nested view named `<view>__<column>`. */
function nestedParent(name: string): { view: string; column: string } | undefined {
  const m = /^([a-z_]+?)__([a-z_]+)$/.exec(name);
  return m ? { view: m[1] ?? '', column: m[2] ?? '' } : undefined;
}

describe('LookML project', () => {
  it('parses every file, with one model, its views and its dashboards', () => {
    expect(project.errors).toEqual([]);
    const kinds = Object.values(project.files).map((f) => f.$file_type);
    expect(kinds.filter((k) => k === 'model')).toHaveLength(1);
    expect(project.views.size).toBeGreaterThanOrEqual(5);
    // Nothing under looker/ the parser did not read (a typo'd extension would hide a file).
    const parsed = new Set(Object.values(project.files).map((f) => f.$file_path));
    for (const path of project.texts.keys()) expect(parsed).toContain(path);
    expect([...project.includedDashboards].sort()).toEqual(
      project.dashboards.map((d) => d.dashboard).sort(),
    );
  });

  it('never references gca_raw, only gca_analytics tables of the registry', () => {
    for (const [path, text] of project.texts) {
      expect({ path, raw: /gca_raw/i.test(text) }).toEqual({ path, raw: false });
      for (const m of text.matchAll(/`([a-z_]+)\.([a-z_]+)`/g)) {
        expect(REGISTRY.some((t) => t.dataset === m[1] && t.name === m[2])).toBe(true);
        expect(m[1]).toBe('gca_analytics');
      }
    }
  });

  it('takes its connection from a manifest constant', () => {
    const m = /^@\{([A-Z_]+)\}$/.exec(project.model.connection);
    expect(m).not.toBeNull();
    expect(project.manifest.constant[m?.[1] ?? '']?.value).toBe('gca_analytics');
  });

  it('has a dimension for every registry column of each table it reads', () => {
    for (const [name, view] of project.views) {
      const table = tableOf(view);
      if (!table) continue;
      expect({ name, dataset: table.dataset }).toEqual({ name, dataset: 'gca_analytics' });
      const defined = new Set([
        ...Object.keys(view.dimension ?? {}),
        ...Object.keys(view.dimension_group ?? {}),
      ]);
      for (const c of table.columns.filter((col) => col.type !== 'RECORD' && col.type !== 'JSON')) {
        expect(`${name}.${defined.has(c.name) ? c.name : 'MISSING ' + c.name}`).toBe(
          `${name}.${c.name}`,
        );
        const f = view.dimension?.[c.name] ?? view.dimension_group?.[c.name];
        expect(f?.description).toBe(c.description);
        const expectedType =
          c.mode === 'REPEATED'
            ? 'string'
            : ({
                DATE: 'time',
                TIMESTAMP: 'time',
                BOOL: 'yesno',
                INT64: 'number',
                FLOAT64: 'number',
              }[c.type as string] ?? 'string');
        expect(`${name}.${c.name}: ${f?.type ?? 'string'}`).toBe(
          `${name}.${c.name}: ${expectedType}`,
        );
      }
    }
  });

  it('resolves every ${TABLE}.column and ${field} in view SQL', () => {
    for (const [name, view] of project.views) {
      const table = tableOf(view);
      const nested = nestedParent(name);
      if (!table && !view.derived_table) {
        // A view without a table is an unnested REPEATED column of another view.
        const parentTable = nested && tableOf(project.views.get(nested.view) ?? {});
        const col = parentTable?.columns.find((c) => c.name === nested?.column);
        expect({ name, repeated: col?.mode }).toEqual({ name, repeated: 'REPEATED' });
      }
      const columns = new Set(
        table?.columns.map((c) => c.name) ?? derivedColumns(view.derived_table?.sql),
      );
      const fields = viewFieldNames(view);
      for (const [where, sql] of viewSql(view)) {
        for (const m of sql.matchAll(/\$\{TABLE\}(?:\.([a-z_0-9]+))?/g)) {
          if (table || view.derived_table)
            expect(
              `${name} ${where}: \${TABLE}.${m[1]} ${columns.has(m[1] ?? '') ? 'is' : 'is not'} a column`,
            ).toBe(`${name} ${where}: \${TABLE}.${m[1]} is a column`);
          else expect(m[1]).toBeUndefined();
        }
        for (const ref of sqlRefs(sql).filter((r) => r !== 'TABLE')) {
          const [v, f] = ref.includes('.') ? ref.split('.') : [name, ref];
          const target = project.views.get(v ?? '');
          const ok = target !== undefined && viewFieldNames(target).has(f ?? '');
          expect(`${name} ${where}: \${${ref}} ${ok ? 'resolves' : 'is unknown'}`).toBe(
            `${name} ${where}: \${${ref}} resolves`,
          );
        }
        // Columns are read through ${TABLE} only: a bare dataset-qualified read bypasses the check.
        expect(sql).not.toMatch(/gca_/);
      }
      for (const [mName, m] of Object.entries(view.measure ?? {})) {
        for (const key of Object.keys(m.filters ?? {})) {
          expect(`${name}.${mName} filter ${key}: ${fields.has(key)}`).toBe(
            `${name}.${mName} filter ${key}: true`,
          );
        }
      }
      for (const [sName, s] of Object.entries(view.set ?? {})) {
        for (const f of s.fields)
          expect(`${name}.${sName}: ${f} ${fields.has(f)}`).toBe(`${name}.${sName}: ${f} true`);
      }
    }
  });

  it('computes every rate as a ratio of summed measures, never an average', () => {
    let rates = 0;
    for (const [name, view] of project.views) {
      for (const [mName, m] of Object.entries(view.measure ?? {})) {
        const isRate = /rate|per_/.test(mName);
        if (!isRate) continue;
        rates += 1;
        expect(m.type).toBe('number');
        const match = /^\s*\$\{(\w+)\} \/ NULLIF\(\$\{(\w+)\}, 0\)\s*$/.exec(m.sql ?? '');
        expect(`${name}.${mName}: ${match ? 'a / NULLIF(b, 0)' : m.sql}`).toBe(
          `${name}.${mName}: a / NULLIF(b, 0)`,
        );
        for (const part of [match?.[1], match?.[2]]) {
          expect(['sum', 'count']).toContain(view.measure?.[part ?? '']?.type);
        }
      }
      // A per-row rate column may exist, but hidden: averaging it is the classic mistake.
      for (const [dName, d] of Object.entries(view.dimension ?? {})) {
        if (/rate/.test(dName))
          expect(`${name}.${dName} hidden: ${d.hidden}`).toBe(`${name}.${dName} hidden: true`);
      }
      for (const [mName, m] of Object.entries(view.measure ?? {})) {
        if (m.type === 'average') expect(`${name}.${mName} ${m.sql}`).not.toMatch(/rate/);
      }
    }
    expect(rates).toBeGreaterThanOrEqual(5);
  });

  it('resolves every explore, join condition and join field list', () => {
    const explores = Object.keys(project.model.explore);
    expect(explores.sort()).toEqual(
      [
        'acceptance_daily',
        'daily_active_users',
        'interactions',
        'lines_accepted_daily',
        'suggestions',
      ].sort(),
    );
    for (const name of explores) {
      const { views, fields } = exploreFields(project, name);
      for (const [alias, j] of Object.entries(project.model.explore[name]?.join ?? {})) {
        expect(j.relationship).toBeDefined();
        const sql = j.sql_on ?? j.sql ?? '';
        expect(sql.length).toBeGreaterThan(0);
        for (const ref of sqlRefs(sql)) {
          const [v, f] = ref.split('.');
          const view = project.views.get(views.get(v ?? '') ?? '');
          expect(
            `${name}.${alias}: \${${ref}} ${view && viewFieldNames(view).has(f ?? '') ? 'ok' : 'unknown'}`,
          ).toBe(`${name}.${alias}: \${${ref}} ok`);
        }
        for (const f of j.fields ?? []) {
          const view = project.views.get(views.get(alias) ?? '');
          expect(view).toBeDefined();
          if (view)
            for (const e of expandFieldRef(view, f.replace(`${alias}.`, '')))
              expect(fields).toContain(`${alias}.${e}`);
        }
      }
    }
    for (const dg of Object.values(project.model.datagroup ?? {})) {
      expect(dg.sql_trigger).toMatch(/`gca_analytics\.[a-z_]+`/);
    }
  });
});

describe('LookML dashboards', () => {
  it('has the overview, languages and IDEs, per-user and interactions dashboards', () => {
    const byName = new Map(project.dashboards.map((d) => [d.dashboard, d]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'gca_interactions',
        'gca_languages_ides',
        'gca_overview',
        'gca_per_user',
        'gca_teams',
      ].sort(),
    );
    for (const d of ['gca_overview', 'gca_languages_ides', 'gca_per_user', 'gca_teams']) {
      const filters = byName.get(d)?.filters.map((f) => f.name) ?? [];
      expect(filters).toEqual(
        expect.arrayContaining(['date_range', 'product', 'language', 'ide', 'agent_mode']),
      );
      // Says where a late acceptance is counted (Google's sample dashboard gets this wrong).
      expect(byName.get(d)?.description).toMatch(/exposure's day/);
    }
    expect(byName.get('gca_interactions')?.filters.map((f) => f.name)).toEqual(
      expect.arrayContaining(['date_range', 'product', 'ide']),
    );
    const mustShow: Record<string, string[]> = {
      gca_overview: [
        'daily_active_users.active_users',
        'acceptance_daily.code_acceptance_rate',
        'acceptance_daily.chat_acceptance_rate',
        'acceptance_daily.acceptance_rate_total',
        'lines_accepted_daily.lines_accepted_total',
        'acceptance_daily.is_agentic',
        'acceptance_daily.kind',
      ],
      gca_interactions: [
        'interactions.method',
        'interactions.latency_p90_ms',
        'interactions__tool_names.tool_name',
      ],
      gca_per_user: ['acceptance_daily.user_id'],
    };
    for (const [d, fields] of Object.entries(mustShow)) {
      const shown = byName.get(d)?.elements.flatMap((e) => e.fields ?? []) ?? [];
      expect({ d, shown }).toEqual({ d, shown: expect.arrayContaining(fields) });
    }
    // Teams: every tile grouped by the team past the privacy floor, with a team filter on it.
    const teams = byName.get('gca_teams');
    expect(teams?.filters.map((f) => f.field)).toContain('team_floor.team');
    for (const e of teams?.elements ?? []) {
      expect(e.fields).toContain('team_floor.team');
      expect(e.listen?.team).toBe('team_floor.team');
    }
    expect(teams?.description).toMatch(/privacy floor/);
    expect(teams?.description).toMatch(/MIN_TEAM_SIZE/);
  });

  it('shows a team only past the privacy floor, in every explore and dashboard', () => {
    expect(project.manifest.constant.MIN_TEAM_SIZE?.value).toBe('5');
    // The mapping's own team columns are for joins: hidden, so no one groups by a small team.
    const ut = project.views.get('user_teams');
    for (const f of ['team', 'parent_team', 'team_name'])
      expect({ f, hidden: ut?.dimension?.[f]?.hidden }).toEqual({ f, hidden: true });
    for (const [name, explore] of Object.entries(project.model.explore)) {
      if (!explore.join?.user_teams) continue;
      // Every explore with a team joins the floor computed over its own day filter.
      expect({ name, from: explore.join.team_floor?.from }).toEqual({
        name,
        from: `team_floor_${name}`,
      });
      const floor = project.views.get(`team_floor_${name}`);
      expect(floor?.derived_table?.sql).toContain(`{% condition ${name}.day_date %}`);
      expect(floor?.dimension?.team?.sql).toContain('@{MIN_TEAM_SIZE}');
      expect(floor?.dimension?.team?.hidden).toBeUndefined();
      expect(floor?.dimension?.team_as_mapped?.hidden).toBe(true);
    }
    // No tile, filter or listener of any dashboard reads a team but through the floor.
    const raw = /^user_teams\.(team|team_name|parent_team)$/;
    for (const d of project.dashboards) {
      const used = [
        ...d.filters.map((f) => f.field ?? ''),
        ...d.elements.flatMap((e) => [
          ...(e.fields ?? []),
          ...(e.pivots ?? []),
          ...Object.keys(e.filters ?? {}),
          ...Object.values(e.listen ?? {}),
        ]),
      ];
      expect({ d: d.dashboard, raw: used.filter((f) => raw.test(f)) }).toEqual({
        d: d.dashboard,
        raw: [],
      });
    }
  });

  it.each(['gca_overview', 'gca_languages_ides', 'gca_per_user', 'gca_interactions', 'gca_teams'])(
    '%s: every element field, sort, pivot, filter and listener resolves',
    (name) => {
      const d = project.dashboards.find((x) => x.dashboard === name);
      expect(d).toBeDefined();
      if (!d) return;
      const filterNames = new Set(d.filters.map((f) => f.name));
      for (const f of d.filters) {
        expect(f.model).toBe(project.modelName);
        const { fields } = exploreFields(project, f.explore ?? '');
        expect(fields).toContain(f.field);
      }
      const seen = new Set<string>();
      for (const e of d.elements) {
        expect(seen.has(e.name)).toBe(false);
        seen.add(e.name);
        expect(e.col + e.width).toBeLessThanOrEqual(24);
        if (e.type === 'text') continue;
        expect(e.model).toBe(project.modelName);
        const { fields } = exploreFields(project, e.explore ?? '');
        const where = `${name}.${e.name}`;
        const check = (f: string) =>
          expect(`${where}: ${f} ${fields.has(f) ? 'ok' : 'unknown'}`).toBe(`${where}: ${f} ok`);
        expect(e.fields?.length).toBeGreaterThan(0);
        for (const f of e.fields ?? []) check(f);
        for (const list of [e.sorts, e.pivots, e.fill_fields, e.hidden_fields]) {
          for (const s of list ?? []) {
            const f = s.replace(/ (asc|desc)$/, '');
            check(f);
            expect(e.fields).toContain(f);
          }
        }
        for (const f of Object.keys(e.filters ?? {})) check(f);
        for (const [filter, f] of Object.entries(e.listen ?? {})) {
          expect(`${where} listens to ${filter}: ${filterNames.has(filter)}`).toBe(
            `${where} listens to ${filter}: true`,
          );
          check(f);
        }
        // Every tile follows the date range.
        expect(Object.keys(e.listen ?? {})).toContain('date_range');
      }
    },
  );

  // Chat exposures carry no language (the Gemini log spec): a chat suggestion takes its
  // acceptance's language, so by language a chat or total rate reads ~100 %. No tile may slice
  // one by language; by language the dashboards show code figures and chat accepted/lines.
  it('tells the chat and total rates and exposure counts (wrong by language) from code ones', () => {
    const acceptance = project.views.get('acceptance_daily');
    const suggestions = project.views.get('suggestions');
    const lines = project.views.get('lines_accepted_daily');
    if (!acceptance || !suggestions || !lines) throw new Error('missing view');
    const wrong = (v: View) =>
      Object.keys(v.measure ?? {})
        .filter((m) => isWrongByLanguage(v, m))
        .sort();
    expect(wrong(acceptance)).toEqual(
      [
        'acceptance_rate_total',
        'chat_acceptance_rate',
        'chat_exposed_count',
        'exposed_count',
      ].sort(),
    );
    expect(wrong(suggestions)).toEqual(['acceptance_rate_total', 'exposed_count'].sort());
    expect(wrong(lines)).toEqual([]);
    for (const [v, m] of [
      [acceptance, 'acceptance_rate_total'],
      [acceptance, 'chat_acceptance_rate'],
      [suggestions, 'acceptance_rate_total'],
    ] as const) {
      expect(v.measure?.[m]?.description).toMatch(/Not meaningful by language/);
    }
  });

  it.each(['gca_overview', 'gca_languages_ides', 'gca_per_user', 'gca_interactions', 'gca_teams'])(
    '%s: no tile slices a chat or total rate (or exposure count) by language',
    (name) => {
      const d = project.dashboards.find((x) => x.dashboard === name);
      expect(d).toBeDefined();
      for (const e of d?.elements ?? []) {
        const wrong = (e.fields ?? []).filter((f) => {
          const { view, name: measure } = fieldView(project, e.explore ?? '', f);
          return view !== undefined && isWrongByLanguage(view, measure);
        });
        if (wrong.length === 0) continue;
        const where = `${name}.${e.name} (${wrong.join(', ')})`;
        expect({ where, slices: languageSlices(e) }).toEqual({ where, slices: [] });
        // The tile says why it ignores the dashboard's Language filter.
        if (d?.filters.some((f) => f.field?.endsWith('.programming_language')))
          expect({ where, note: e.note_text }).toEqual({
            where,
            note: expect.stringMatching(/chat exposures carry no language/),
          });
      }
    },
  );

  it('languages and IDEs: by language the code rate and lines, chat accepted and lines', () => {
    const d = project.dashboards.find((x) => x.dashboard === 'gca_languages_ides');
    expect(d?.description).toMatch(/no\s+language on chat exposures/);
    const byLanguage = d?.elements.find((e) => e.name === 'by_language');
    expect(byLanguage?.fields).toEqual([
      'acceptance_daily.programming_language',
      'acceptance_daily.code_exposed_count',
      'acceptance_daily.code_accepted_count',
      'acceptance_daily.code_acceptance_rate',
      'lines_accepted_daily.code_lines_accepted',
      'acceptance_daily.chat_accepted_count',
      'lines_accepted_daily.chat_lines_accepted',
    ]);
    // Every tile by language that shows a rate shows the code rate.
    for (const e of d?.elements ?? []) {
      const rates = (e.fields ?? []).filter((f) => /rate/.test(f));
      if (languageSlices(e).some((s) => s.startsWith('groups')) && rates.length > 0)
        expect({ tile: e.name, rates }).toEqual({
          tile: e.name,
          rates: ['acceptance_daily.code_acceptance_rate'],
        });
    }
  });
});
