import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseFiles } from 'lookml-parser';
import { z } from 'zod';

/** The LookML project root (the repository's looker/ directory). */
export const LOOKER_DIR = join(__dirname, '..', '..', 'looker');

/** Keys the parser adds ($strings, $type, ...) are dropped by the schemas below. */
const FiltersSchema = z
  .record(z.string(), z.unknown())
  .transform((r) =>
    Object.fromEntries(
      Object.entries(r).filter((e): e is [string, string] => !e[0].startsWith('$')),
    ),
  );

export const FieldSchema = z.object({
  type: z.string().optional(),
  sql: z.string().optional(),
  label: z.string().optional(),
  description: z.string().optional(),
  timeframes: z.array(z.string()).optional(),
  datatype: z.string().optional(),
  filters: FiltersSchema.optional(),
  percentile: z.coerce.number().optional(),
  primary_key: z.boolean().optional(),
  hidden: z.boolean().optional(),
});
export type Field = z.infer<typeof FieldSchema>;

const named = <T extends z.ZodType>(s: T) => z.record(z.string(), s).optional();

export const ViewSchema = z.object({
  sql_table_name: z.string().optional(),
  derived_table: z.object({ sql: z.string() }).optional(),
  dimension: named(FieldSchema),
  dimension_group: named(FieldSchema),
  measure: named(FieldSchema),
  set: named(z.object({ fields: z.array(z.string()) })),
});
export type View = z.infer<typeof ViewSchema>;

// LookML keys as zod objects, one line a key: alike the log schemas by shape only.
export const JoinSchema = z.object({
  from: z.string().optional(),
  type: z.string().optional(),
  relationship: z.string().optional(),
  sql_on: z.string().optional(),
  sql: z.string().optional(),
  fields: z.array(z.string()).optional(),
});

export const ExploreSchema = z.object({
  from: z.string().optional(),
  view_name: z.string().optional(),
  description: z.string().optional(),
  join: named(JoinSchema),
});
export type Explore = z.infer<typeof ExploreSchema>;

const ModelFileSchema = z.object({
  connection: z.string(),
  include: z.union([z.string(), z.array(z.string())]).transform((i) => [i].flat()),
  explore: z.record(z.string(), ExploreSchema),
  datagroup: named(z.object({ sql_trigger: z.string().optional() })),
});

const ManifestSchema = z.object({
  constant: z.record(z.string(), z.object({ value: z.string() })),
});

// One line a LookML key, as the other schemas here: alike the Pub/Sub schemas by shape only.
const DashboardFilterSchema = z.object({
  name: z.string(),
  title: z.string(),
  type: z.string(),
  model: z.string().optional(),
  explore: z.string().optional(),
  field: z.string().optional(),
});

export const ElementSchema = z.object({
  name: z.string(),
  type: z.string(),
  title: z.string().optional(),
  note_text: z.string().optional(),
  model: z.string().optional(),
  explore: z.string().optional(),
  fields: z.array(z.string()).optional(),
  sorts: z.array(z.string()).optional(),
  pivots: z.array(z.string()).optional(),
  fill_fields: z.array(z.string()).optional(),
  hidden_fields: z.array(z.string()).optional(),
  filters: z.record(z.string(), z.string()).optional(),
  listen: z.record(z.string(), z.string()).optional(),
  row: z.number(),
  col: z.number(),
  width: z.number(),
  height: z.number(),
});
export type Element = z.infer<typeof ElementSchema>;

export const DashboardSchema = z.object({
  dashboard: z.string(),
  title: z.string(),
  layout: z.literal('newspaper'),
  description: z.string(),
  filters: z.array(DashboardFilterSchema),
  elements: z.array(ElementSchema),
});
export type Dashboard = z.infer<typeof DashboardSchema>;

const ParsedFileSchema = z.looseObject({
  $file_type: z.string(),
  $file_path: z.string(),
  error: z.unknown().optional(),
  view: z.record(z.string(), z.unknown()).optional(),
  dashboard: z.record(z.string(), z.unknown()).optional(),
});

const ParsedProjectSchema = z.object({
  errors: z.array(z.unknown()).optional(),
  file: z.record(z.string(), ParsedFileSchema),
  model: z.record(
    z.string(),
    z.object({ dashboard: z.record(z.string(), z.unknown()).optional() }),
  ),
});

export interface LookerProject {
  /** Every file under looker/, relative path -> text. */
  readonly texts: ReadonlyMap<string, string>;
  readonly files: z.infer<typeof ParsedProjectSchema>['file'];
  readonly model: z.infer<typeof ModelFileSchema>;
  readonly modelName: string;
  readonly manifest: z.infer<typeof ManifestSchema>;
  readonly views: ReadonlyMap<string, View>;
  readonly dashboards: readonly Dashboard[];
  /** Dashboard names the model's includes pulled in (as the parser assembled them). */
  readonly includedDashboards: readonly string[];
  readonly errors: readonly unknown[];
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Parses the whole LookML project with lookml-parser and validates what the tests read. */
export async function loadProject(dir: string = LOOKER_DIR): Promise<LookerProject> {
  const texts = new Map(
    listFiles(dir).map((p) => [relative(dir, p).split('\\').join('/'), readFileSync(p, 'utf8')]),
  );
  const parsed = ParsedProjectSchema.parse(
    await parseFiles({
      source: '**/{*.model.lkml,*.view.lkml,*.explore.lkml,manifest.lkml,*.dashboard.lookml}',
      cwd: dir,
      console: quiet,
    }),
  );
  const modelEntries = Object.entries(parsed.file).filter(([, f]) => f.$file_type === 'model');
  if (modelEntries.length !== 1) throw new Error(`expected one model, got ${modelEntries.length}`);
  const [modelKey, modelFile] = modelEntries[0] ?? [];
  const modelName = String(modelKey).replace(/\.model$/, '');
  const manifestFile = parsed.file['manifest'];
  const views = new Map<string, View>();
  const dashboards: Dashboard[] = [];
  for (const f of Object.values(parsed.file)) {
    for (const [name, v] of Object.entries(f.view ?? {})) {
      if (views.has(name)) throw new Error(`view ${name} defined twice`);
      views.set(name, ViewSchema.parse(v));
    }
    for (const d of Object.values(f.dashboard ?? {})) {
      dashboards.push(...z.array(DashboardSchema).parse(d));
    }
  }
  return {
    texts,
    files: parsed.file,
    model: ModelFileSchema.parse(modelFile),
    modelName,
    manifest: ManifestSchema.parse(manifestFile),
    views,
    dashboards,
    includedDashboards: Object.keys(parsed.model[modelName]?.dashboard ?? {}),
    errors: [...(parsed.errors ?? []), ...Object.values(parsed.file).flatMap((f) => f.error ?? [])],
  };
}

/** `${...}` references in a SQL snippet. */
export function sqlRefs(sql: string): string[] {
  return [...sql.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? '');
}

/** Every field name a view defines, with dimension groups expanded to `name_timeframe`. */
export function viewFieldNames(view: View): Set<string> {
  const names = new Set<string>();
  for (const n of Object.keys(view.dimension ?? {})) names.add(n);
  for (const n of Object.keys(view.measure ?? {})) names.add(n);
  for (const [n, g] of Object.entries(view.dimension_group ?? {})) {
    for (const tf of g.timeframes ?? []) names.add(`${n}_${tf}`);
  }
  return names;
}

/** Resolves a field or a `set*` reference of a view to field names. */
export function expandFieldRef(view: View, ref: string): string[] {
  if (ref.endsWith('*')) {
    const set = view.set?.[ref.slice(0, -1)];
    if (!set) throw new Error(`unknown set ${ref}`);
    return set.fields;
  }
  return [ref];
}

/** The views of an explore (alias -> view name) and the qualified fields it exposes. */
export function exploreFields(
  project: LookerProject,
  exploreName: string,
): { views: Map<string, string>; fields: Set<string> } {
  const explore = project.model.explore[exploreName];
  if (!explore) throw new Error(`unknown explore ${exploreName}`);
  const views = new Map<string, string>([
    [exploreName, explore.from ?? explore.view_name ?? exploreName],
  ]);
  for (const [alias, j] of Object.entries(explore.join ?? {})) views.set(alias, j.from ?? alias);
  const fields = new Set<string>();
  for (const [alias, viewName] of views) {
    const view = project.views.get(viewName);
    if (!view) throw new Error(`explore ${exploreName}: unknown view ${viewName}`);
    const restrict = explore.join?.[alias]?.fields;
    const names = restrict
      ? restrict.flatMap((r) => expandFieldRef(view, r.replace(`${alias}.`, '')))
      : [...viewFieldNames(view)];
    for (const n of names) fields.add(`${alias}.${n}`);
  }
  return { views, fields };
}

/** `${a} / NULLIF(${b}, 0)`: the one shape a rate measure may have (checked in lookml.test.ts). */
function rateParts(m: Field): [string, string] | undefined {
  const match = /^\s*\$\{(\w+)\} \/ NULLIF\(\$\{(\w+)\}, 0\)\s*$/.exec(m.sql ?? '');
  return match ? [match[1] ?? '', match[2] ?? ''] : undefined;
}

/** A measure counting exposures that may include chat (not filtered to `kind: code`). */
function countsChatExposures(m: Field | undefined): boolean {
  if (m === undefined || m.filters?.kind === 'code') return false;
  return m.sql?.trim() === '${exposed}' || m.filters?.exposed === 'yes';
}

/**
 * Whether `view.measure` is wrong by programming language: chat exposures carry no language (only
 * chat acceptances do), so a chat suggestion takes its acceptance's language and every unaccepted
 * one is `unknown`. A count of exposures that includes chat, or a rate over one, then reads ~100 %
 * for every real language. Code-only figures and figures over acceptances only are sound.
 */
export function isWrongByLanguage(view: View, measure: string): boolean {
  const m = view.measure?.[measure];
  if (m === undefined) return false;
  if (countsChatExposures(m)) return true;
  const parts = m.type === 'number' ? rateParts(m) : undefined;
  return parts !== undefined && countsChatExposures(view.measure?.[parts[1]]);
}

/** Resolves an explore-qualified field (`alias.name`) to its view and name. */
export function fieldView(
  project: LookerProject,
  exploreName: string,
  field: string,
): { view: View | undefined; name: string } {
  const [alias = '', name = ''] = field.split('.');
  const viewName = exploreFields(project, exploreName).views.get(alias);
  return { view: project.views.get(viewName ?? ''), name };
}

/** How an element slices by language: grouped, pivoted, filtered or listening to a filter. */
export function languageSlices(e: Element): string[] {
  const isLanguage = (f: string) => f.split('.')[1] === 'programming_language';
  return [
    ...(e.fields ?? []).filter(isLanguage).map((f) => `groups by ${f}`),
    ...(e.pivots ?? []).filter(isLanguage).map((f) => `pivots by ${f}`),
    ...Object.keys(e.filters ?? {})
      .filter(isLanguage)
      .map((f) => `filters on ${f}`),
    ...Object.entries(e.listen ?? {})
      .filter(([, f]) => isLanguage(f))
      .map(([filter, f]) => `listens to ${filter} on ${f}`),
  ];
}
