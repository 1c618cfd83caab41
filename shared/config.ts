/**
 * The environment of a process, parsed at its edge. The variables come in parts (the warehouse
 * adapter, the state adapter, content and privacy, retention, recompute, logging), each a zod
 * schema; a process composes the parts it uses with `parseEnv(parts, env)`, so a command that
 * only files an erasure request never fails on an unrelated bad variable, and never needs a
 * placeholder for one it does not use. `parseConfig(env)` composes them all (the functions). A
 * bad value fails with a message naming the variable and what it accepts; nothing here reads
 * `process.env` at import time.
 */
import { z } from 'zod';
import { MIN_PSEUDONYMIZE_KEY_BYTES } from './content/pseudonymize';
import { CONTENT_MODES, DEFAULT_CONTENT_MODE, type ContentMode } from './content/mode';
import { DEFAULT_BIGQUERY_LOOKBACK_DAYS } from './jobs/recompute';
import { DEFAULT_STATE_COLLECTION } from './state/firestore';
import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from './state/port';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where rows go: BigQuery in the cloud, a DuckDB file locally. */
export type WarehouseTarget = { kind: 'bigquery' } | { kind: 'duckdb'; path: string };
/** Where control state lives: Firestore in the cloud, a JSON file locally. */
export type StateTarget = { kind: 'firestore' } | { kind: 'local'; path: string };

/** The warehouse adapter: GCA_WAREHOUSE and, for BigQuery, its project, datasets, location. */
export interface WarehouseConfig {
  warehouse: WarehouseTarget;
  /** Google Cloud project of BigQuery and Firestore; null in pure local mode. */
  projectId: string | null;
  rawDataset: string;
  analyticsDataset: string;
  /** BigQuery location of the datasets and of query jobs. */
  bqLocation: string;
}

/** The state adapter: GCA_STATE and, for Firestore, its project, database, collection. */
export interface StateConfig {
  state: StateTarget;
  /** Google Cloud project of BigQuery and Firestore; null in pure local mode. */
  projectId: string | null;
  /** Firestore database id; `(default)` unless the stack uses a named database. */
  firestoreDatabase: string;
  /** Root Firestore collection of the control state (several deployments may share a database). */
  firestoreCollection: string;
}

/** What is kept of content, and whether user ids are pseudonymized. */
export interface PrivacyConfig {
  contentMode: ContentMode;
  /** HMAC key for user pseudonymization (issue #6); null leaves user ids as they are. */
  pseudonymizeKey: string | null;
}

export interface RetentionConfig {
  /** Retention used until a policy document is stored in the state store. */
  retentionDefaults: RetentionPolicy;
}

export interface RecomputeConfig {
  /**
   * Event days an incremental recompute looks back over (partition pruning); null: every day.
   * Unset: the recompute job's DEFAULT_BIGQUERY_LOOKBACK_DAYS with the BigQuery warehouse, null
   * with DuckDB (an old export ingested locally must count).
   */
  recomputeLookbackDays: number | null;
}

export interface LogConfig {
  logLevel: LogLevel;
}

/** The whole configuration of a function process: every part. */
export type Config = WarehouseConfig &
  StateConfig &
  PrivacyConfig &
  RetentionConfig &
  RecomputeConfig &
  LogConfig;

/** Every variable `parseConfig` reads, for the docs and for clear errors. */
export const ENV_VARS = [
  'GCA_WAREHOUSE',
  'GCA_STATE',
  'GOOGLE_CLOUD_PROJECT',
  'GCP_PROJECT',
  'GCA_RAW_DATASET',
  'GCA_ANALYTICS_DATASET',
  'GCA_BQ_LOCATION',
  'GCA_FIRESTORE_DATABASE',
  'GCA_FIRESTORE_COLLECTION',
  'GCA_CONTENT_MODE',
  'GCA_PSEUDONYMIZE_KEY',
  'GCA_RECOMPUTE_LOOKBACK_DAYS',
  'GCA_CONTENT_DAYS',
  'GCA_EVENT_DAYS',
  'GCA_QUARANTINE_DAYS',
  'GCA_LOG_LEVEL',
] as const;
export type EnvVar = (typeof ENV_VARS)[number];

/** Variables whose value must never appear in an error message. */
const SECRET_VARS: readonly EnvVar[] = ['GCA_PSEUDONYMIZE_KEY'];

/** Defaults, with their reasons. */
export const CONFIG_DEFAULTS = {
  // The cloud is the default so a deployed function needs no variable to find its adapters.
  GCA_WAREHOUSE: 'bigquery',
  GCA_STATE: 'firestore',
  GCA_RAW_DATASET: 'gca_raw',
  GCA_ANALYTICS_DATASET: 'gca_analytics',
  // BigQuery's own default location for new datasets.
  GCA_BQ_LOCATION: 'US',
  GCA_FIRESTORE_DATABASE: '(default)',
  GCA_FIRESTORE_COLLECTION: DEFAULT_STATE_COLLECTION,
  GCA_CONTENT_MODE: DEFAULT_CONTENT_MODE,
  GCA_CONTENT_DAYS: DEFAULT_RETENTION_POLICY.contentDays,
  GCA_EVENT_DAYS: DEFAULT_RETENTION_POLICY.eventDays,
  GCA_QUARANTINE_DAYS: DEFAULT_RETENTION_POLICY.quarantineDays,
  GCA_LOG_LEVEL: 'INFO',
} as const;

/** A bad environment; `issues` name each variable and what it accepts. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Empty values count as unset: `GCA_STATE=` in a .env file means "use the default". */
const optionalText = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.string().trim().optional(),
);

/** `CLOUD`, or `LOCAL:PATH` (a local file); `kind` says which, as WarehouseTarget/StateTarget do. */
function targetSchema<const C extends string, const L extends string>(
  fallback: string,
  cloud: C,
  local: L,
  error: string,
) {
  const prefix = `${local}:`;
  return optionalText
    .transform((v) => v ?? fallback)
    .pipe(
      z.union(
        [
          z.literal(cloud).transform(() => ({ kind: cloud })),
          z
            .string()
            .refine((v) => v.startsWith(prefix) && v.length > prefix.length)
            .transform((v) => ({ kind: local, path: v.slice(prefix.length) })),
        ],
        { error },
      ),
    );
}

/** BigQuery dataset ids: letters, digits and underscores, at most 1024. */
const datasetVar = (fallback: string) =>
  optionalText
    .transform((v) => v ?? fallback)
    .pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_]{1,1024}$/, 'expected a BigQuery dataset id (letters, digits, _)'),
    );

/** Decimal digits -> a whole number in [min, max], one message for every way it can be wrong. */
const wholeNumber = (min: number, max: number) => {
  const message = `expected a whole number between ${min} and ${max}`;
  return z
    .string()
    .regex(/^\d+$/, message)
    .transform(Number)
    .pipe(z.number().int().min(min, message).max(max, message));
};

const intVar = (fallback: number, min: number, max: number) =>
  optionalText.transform((v) => v ?? String(fallback)).pipe(wholeNumber(min, max));

const optionalIntVar = (min: number, max: number) =>
  optionalText.pipe(wholeNumber(min, max).optional());

const enumVar = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  optionalText
    .transform((v) => v ?? fallback)
    .pipe(z.enum(values, { error: `expected one of: ${values.join(', ')}` }));

/** The project, required when a cloud adapter is chosen (GCP_PROJECT: older runtimes' name). */
const projectShape = { GOOGLE_CLOUD_PROJECT: optionalText, GCP_PROJECT: optionalText };

const PROJECT_REQUIRED =
  'required with GCA_WAREHOUSE=bigquery or GCA_STATE=firestore (set GOOGLE_CLOUD_PROJECT or GCP_PROJECT; for local mode set GCA_WAREHOUSE=duckdb:PATH and GCA_STATE=local:PATH)';

function requireProject(
  cloud: boolean,
  env: { GOOGLE_CLOUD_PROJECT?: string | undefined; GCP_PROJECT?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (cloud && !env.GOOGLE_CLOUD_PROJECT && !env.GCP_PROJECT) {
    ctx.addIssue({ code: 'custom', path: ['GOOGLE_CLOUD_PROJECT'], message: PROJECT_REQUIRED });
  }
}

/** One part of the environment: the variables it reads and the schema that parses them. */
export interface EnvPart<T> {
  readonly vars: readonly EnvVar[];
  readonly schema: z.ZodType<T, unknown>;
}

function envPart<const S extends Partial<Record<EnvVar, z.ZodType<unknown, unknown>>>, T>(
  shape: S,
  refine: ((env: z.output<z.ZodObject<S>>, ctx: z.RefinementCtx) => void) | null,
  toConfig: (env: z.output<z.ZodObject<S>>) => T,
): EnvPart<T> {
  const object = z.object(shape);
  const checked = refine ? object.superRefine(refine) : object;
  return {
    vars: Object.keys(shape) as EnvVar[],
    schema: checked.transform(toConfig) as unknown as z.ZodType<T, unknown>,
  };
}

/**
 * The warehouse part. `fallback` is the value when GCA_WAREHOUSE is unset: `bigquery` for the
 * functions; the command passes its local file (`duckdb:./gca-analytics.duckdb`).
 */
export function warehouseEnv(
  fallback: string = CONFIG_DEFAULTS.GCA_WAREHOUSE,
): EnvPart<WarehouseConfig> {
  // The same two calls as stateEnv below, with this part's names: the logic is in targetSchema
  // and envPart.
  const warehouse: z.ZodType<WarehouseTarget, unknown> = targetSchema(
    fallback,
    'bigquery',
    'duckdb',
    "expected 'bigquery' or 'duckdb:PATH' (a DuckDB file)",
  );
  return envPart(
    {
      GCA_WAREHOUSE: warehouse,
      ...projectShape,
      GCA_RAW_DATASET: datasetVar(CONFIG_DEFAULTS.GCA_RAW_DATASET),
      GCA_ANALYTICS_DATASET: datasetVar(CONFIG_DEFAULTS.GCA_ANALYTICS_DATASET),
      GCA_BQ_LOCATION: optionalText
        .transform((v) => v ?? CONFIG_DEFAULTS.GCA_BQ_LOCATION)
        .pipe(
          z
            .string()
            .regex(/^[A-Za-z0-9-]+$/, 'expected a BigQuery location, e.g. US, EU, europe-west1'),
        ),
    },
    (e, ctx) => requireProject(e.GCA_WAREHOUSE.kind === 'bigquery', e, ctx),
    (e) => ({
      warehouse: e.GCA_WAREHOUSE,
      projectId: e.GOOGLE_CLOUD_PROJECT ?? e.GCP_PROJECT ?? null,
      rawDataset: e.GCA_RAW_DATASET,
      analyticsDataset: e.GCA_ANALYTICS_DATASET,
      bqLocation: e.GCA_BQ_LOCATION,
    }),
  );
}

/**
 * The state part. `fallback` is the value when GCA_STATE is unset: `firestore` for the
 * functions; the command passes the state file beside its DuckDB file.
 */
export function stateEnv(fallback: string = CONFIG_DEFAULTS.GCA_STATE): EnvPart<StateConfig> {
  // As warehouseEnv above, with this part's names.
  const state: z.ZodType<StateTarget, unknown> = targetSchema(
    fallback,
    'firestore',
    'local',
    "expected 'firestore' or 'local:PATH' (a JSON state file)",
  );
  return envPart(
    {
      GCA_STATE: state,
      ...projectShape,
      GCA_FIRESTORE_DATABASE: optionalText
        .transform((v) => v ?? CONFIG_DEFAULTS.GCA_FIRESTORE_DATABASE)
        .pipe(
          z
            .string()
            .regex(/^(\(default\)|[a-z][a-z0-9-]{2,62})$/, "expected '(default)' or a database id"),
        ),
      GCA_FIRESTORE_COLLECTION: optionalText
        .transform((v) => v ?? CONFIG_DEFAULTS.GCA_FIRESTORE_COLLECTION)
        .pipe(
          z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected a collection id (letters, digits, _ or -)'),
        ),
    },
    (e, ctx) => requireProject(e.GCA_STATE.kind === 'firestore', e, ctx),
    (e) => ({
      state: e.GCA_STATE,
      projectId: e.GOOGLE_CLOUD_PROJECT ?? e.GCP_PROJECT ?? null,
      firestoreDatabase: e.GCA_FIRESTORE_DATABASE,
      firestoreCollection: e.GCA_FIRESTORE_COLLECTION,
    }),
  );
}

/** Content mode and the pseudonymization key. */
export const PRIVACY_ENV: EnvPart<PrivacyConfig> = envPart(
  {
    GCA_CONTENT_MODE: enumVar(CONTENT_MODES, CONFIG_DEFAULTS.GCA_CONTENT_MODE),
    // Short keys make pseudonyms guessable by brute force over known user ids.
    GCA_PSEUDONYMIZE_KEY: optionalText.pipe(
      z
        .string()
        .refine((v) => Buffer.byteLength(v, 'utf8') >= MIN_PSEUDONYMIZE_KEY_BYTES, {
          message: `expected a secret of at least ${MIN_PSEUDONYMIZE_KEY_BYTES} bytes`,
        })
        .optional(),
    ),
  },
  null,
  (e) => ({ contentMode: e.GCA_CONTENT_MODE, pseudonymizeKey: e.GCA_PSEUDONYMIZE_KEY ?? null }),
);

/** The retention defaults (GCA_CONTENT_DAYS, GCA_EVENT_DAYS, GCA_QUARANTINE_DAYS). */
export const RETENTION_ENV: EnvPart<RetentionConfig> = envPart(
  {
    GCA_CONTENT_DAYS: intVar(CONFIG_DEFAULTS.GCA_CONTENT_DAYS, 1, 36500),
    GCA_EVENT_DAYS: intVar(CONFIG_DEFAULTS.GCA_EVENT_DAYS, 1, 36500),
    GCA_QUARANTINE_DAYS: intVar(CONFIG_DEFAULTS.GCA_QUARANTINE_DAYS, 1, 36500),
  },
  null,
  (e) => ({
    retentionDefaults: {
      contentDays: e.GCA_CONTENT_DAYS,
      eventDays: e.GCA_EVENT_DAYS,
      quarantineDays: e.GCA_QUARANTINE_DAYS,
    },
  }),
);

export const RECOMPUTE_ENV: EnvPart<RecomputeConfig> = envPart(
  // Unset: see recomputeLookbackFor (it depends on the warehouse).
  { GCA_RECOMPUTE_LOOKBACK_DAYS: optionalIntVar(1, 3650) },
  null,
  (e) => ({ recomputeLookbackDays: e.GCA_RECOMPUTE_LOOKBACK_DAYS ?? null }),
);

export const LOG_ENV: EnvPart<LogConfig> = envPart(
  {
    GCA_LOG_LEVEL: optionalText
      .transform((v) => (v ?? CONFIG_DEFAULTS.GCA_LOG_LEVEL).toUpperCase())
      .pipe(z.enum(LOG_LEVELS, { error: `expected one of: ${LOG_LEVELS.join(', ')}` })),
  },
  null,
  (e) => ({ logLevel: e.GCA_LOG_LEVEL }),
);

type PartOf<P> = P extends EnvPart<infer T> ? T : never;
type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;
/** The configuration the parts give together. */
export type ConfigOf<P extends readonly EnvPart<object>[]> = Intersect<PartOf<P[number]>>;

/**
 * Parses the variables of `parts` from `env` and merges what they give. Throws `ConfigError`
 * listing every bad variable of every part at once, with the value it got (secrets excepted)
 * and the values it accepts; variables of no part are never read.
 */
export function parseEnv<const P extends readonly EnvPart<object>[]>(
  parts: P,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<P> {
  const picked: Record<string, string | undefined> = {};
  for (const part of parts) for (const name of part.vars) picked[name] = env[name];
  const issues: string[] = [];
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    const result = part.schema.safeParse(picked);
    if (result.success) {
      Object.assign(merged, result.data);
      continue;
    }
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      const raw = picked[name];
      const shown =
        raw === undefined
          ? 'unset'
          : (SECRET_VARS as readonly string[]).includes(name)
            ? `a value of ${raw.length} characters`
            : JSON.stringify(raw);
      const line = `${name}: ${issue.message} (got ${shown})`;
      // Two parts may report the same variable (the project): once is enough.
      if (!issues.includes(line)) issues.push(line);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return merged as ConfigOf<P>;
}

/** Every part, with the functions' defaults: the configuration of a function process. */
export const FUNCTION_ENV = [
  warehouseEnv(),
  stateEnv(),
  PRIVACY_ENV,
  RETENTION_ENV,
  RECOMPUTE_ENV,
  LOG_ENV,
] as const;

/**
 * Parses the whole environment of a function process into a `Config`. Throws `ConfigError`
 * listing every bad variable with the value it got (secrets excepted) and the values it accepts.
 */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = parseEnv(FUNCTION_ENV, env);
  return {
    ...config,
    recomputeLookbackDays: recomputeLookbackFor(config.warehouse, config.recomputeLookbackDays),
  };
}

/**
 * The event days an incremental recompute looks back over: GCA_RECOMPUTE_LOOKBACK_DAYS when set;
 * else DEFAULT_BIGQUERY_LOOKBACK_DAYS with the BigQuery warehouse (the hourly run must prune
 * partitions); else null, every day (an old export ingested locally must still count). Chosen
 * here, from configuration, so the recompute job never asks which engine it runs on.
 */
export function recomputeLookbackFor(
  warehouse: WarehouseTarget,
  configured: number | null,
): number | null {
  return configured ?? (warehouse.kind === 'bigquery' ? DEFAULT_BIGQUERY_LOOKBACK_DAYS : null);
}
