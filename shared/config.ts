/**
 * The environment of a function process (and of local runs of the same code): one zod schema,
 * parsed by `parseConfig(env)` at the process edge. A bad value fails at start-up with a message
 * naming the variable and what it accepts; nothing here reads `process.env` at import time.
 */
import { z } from 'zod';
import { MIN_PSEUDONYMIZE_KEY_BYTES } from './content/pseudonymize';
import { CONTENT_MODES, DEFAULT_CONTENT_MODE, type ContentMode } from './content/mode';
import { DEFAULT_STATE_COLLECTION } from './state/firestore';
import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from './state/port';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where rows go: BigQuery in the cloud, a DuckDB file locally. */
export type WarehouseTarget = { kind: 'bigquery' } | { kind: 'duckdb'; path: string };
/** Where control state lives: Firestore in the cloud, a JSON file locally. */
export type StateTarget = { kind: 'firestore' } | { kind: 'local'; path: string };

export interface Config {
  warehouse: WarehouseTarget;
  state: StateTarget;
  /** Google Cloud project of BigQuery and Firestore; null in pure local mode. */
  projectId: string | null;
  rawDataset: string;
  analyticsDataset: string;
  /** BigQuery location of the datasets and of query jobs. */
  bqLocation: string;
  /** Firestore database id; `(default)` unless the stack uses a named database. */
  firestoreDatabase: string;
  /** Root Firestore collection of the control state (several deployments may share a database). */
  firestoreCollection: string;
  contentMode: ContentMode;
  /** HMAC key for user pseudonymization (issue #6); null leaves user ids as they are. */
  pseudonymizeKey: string | null;
  /**
   * Event days an incremental recompute looks back over (partition pruning); null looks at every
   * day. Unset: 14 with the BigQuery warehouse, null with DuckDB (an old export must count).
   */
  recomputeLookbackDays: number | null;
  /** Retention used until a policy document is stored in the state store. */
  retentionDefaults: RetentionPolicy;
  logLevel: LogLevel;
}

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

/**
 * Default event-day lookback of an incremental recompute on BigQuery: the hourly run then reads a
 * few weeks of partitions, not the whole history (shared/jobs/recompute.ts, "Read horizon").
 */
export const DEFAULT_BIGQUERY_LOOKBACK_DAYS = 14;

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

const WarehouseSchema: z.ZodType<WarehouseTarget, unknown> = targetSchema(
  CONFIG_DEFAULTS.GCA_WAREHOUSE,
  'bigquery',
  'duckdb',
  "expected 'bigquery' or 'duckdb:PATH' (a DuckDB file)",
);

const StateSchema: z.ZodType<StateTarget, unknown> = targetSchema(
  CONFIG_DEFAULTS.GCA_STATE,
  'firestore',
  'local',
  "expected 'firestore' or 'local:PATH' (a JSON state file)",
);

/** BigQuery dataset ids: letters, digits and underscores, at most 1024. */
const datasetVar = (fallback: string) =>
  optionalText
    .transform((v) => v ?? fallback)
    .pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_]{1,1024}$/, 'expected a BigQuery dataset id (letters, digits, _)'),
    );

const intVar = (fallback: number, min: number, max: number) =>
  optionalText
    .transform((v) => v ?? String(fallback))
    .pipe(
      z
        .string()
        .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
        .transform(Number)
        .pipe(
          z
            .number()
            .int()
            .min(min, `expected a whole number between ${min} and ${max}`)
            .max(max, `expected a whole number between ${min} and ${max}`),
        ),
    );

const optionalIntVar = (min: number, max: number) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(min, `expected a whole number between ${min} and ${max}`)
          .max(max, `expected a whole number between ${min} and ${max}`),
      )
      .optional(),
  );

const enumVar = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  optionalText
    .transform((v) => v ?? fallback)
    .pipe(z.enum(values, { error: `expected one of: ${values.join(', ')}` }));

/** The environment schema; keys are the variable names. */
export const EnvSchema = z
  .object({
    GCA_WAREHOUSE: WarehouseSchema,
    GCA_STATE: StateSchema,
    GOOGLE_CLOUD_PROJECT: optionalText,
    GCP_PROJECT: optionalText,
    GCA_RAW_DATASET: datasetVar(CONFIG_DEFAULTS.GCA_RAW_DATASET),
    GCA_ANALYTICS_DATASET: datasetVar(CONFIG_DEFAULTS.GCA_ANALYTICS_DATASET),
    GCA_BQ_LOCATION: optionalText
      .transform((v) => v ?? CONFIG_DEFAULTS.GCA_BQ_LOCATION)
      .pipe(
        z
          .string()
          .regex(/^[A-Za-z0-9-]+$/, 'expected a BigQuery location, e.g. US, EU, europe-west1'),
      ),
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
    // Unset: DEFAULT_BIGQUERY_LOOKBACK_DAYS with BigQuery, every day with DuckDB.
    GCA_RECOMPUTE_LOOKBACK_DAYS: optionalIntVar(1, 3650),
    GCA_CONTENT_DAYS: intVar(CONFIG_DEFAULTS.GCA_CONTENT_DAYS, 1, 36500),
    GCA_EVENT_DAYS: intVar(CONFIG_DEFAULTS.GCA_EVENT_DAYS, 1, 36500),
    GCA_QUARANTINE_DAYS: intVar(CONFIG_DEFAULTS.GCA_QUARANTINE_DAYS, 1, 36500),
    GCA_LOG_LEVEL: optionalText
      .transform((v) => (v ?? CONFIG_DEFAULTS.GCA_LOG_LEVEL).toUpperCase())
      .pipe(z.enum(LOG_LEVELS, { error: `expected one of: ${LOG_LEVELS.join(', ')}` })),
  })
  .superRefine((env, ctx) => {
    const cloud = env.GCA_WAREHOUSE.kind === 'bigquery' || env.GCA_STATE.kind === 'firestore';
    if (cloud && !env.GOOGLE_CLOUD_PROJECT && !env.GCP_PROJECT) {
      ctx.addIssue({
        code: 'custom',
        path: ['GOOGLE_CLOUD_PROJECT'],
        message:
          'required with GCA_WAREHOUSE=bigquery or GCA_STATE=firestore (set GOOGLE_CLOUD_PROJECT or GCP_PROJECT; for local mode set GCA_WAREHOUSE=duckdb:PATH and GCA_STATE=local:PATH)',
      });
    }
  });

/**
 * Parses the environment of a process into a `Config`. Throws `ConfigError` listing every bad
 * variable with the value it got (secrets excepted) and the values it accepts.
 */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const name of ENV_VARS) picked[name] = env[name];
  const result = EnvSchema.safeParse(picked);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const raw = picked[name];
      const shown =
        raw === undefined
          ? 'unset'
          : (SECRET_VARS as readonly string[]).includes(name)
            ? `a value of ${raw.length} characters`
            : JSON.stringify(raw);
      return `${name}: ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(issues);
  }
  const e = result.data;
  return {
    warehouse: e.GCA_WAREHOUSE,
    state: e.GCA_STATE,
    projectId: e.GOOGLE_CLOUD_PROJECT ?? e.GCP_PROJECT ?? null,
    rawDataset: e.GCA_RAW_DATASET,
    analyticsDataset: e.GCA_ANALYTICS_DATASET,
    bqLocation: e.GCA_BQ_LOCATION,
    firestoreDatabase: e.GCA_FIRESTORE_DATABASE,
    firestoreCollection: e.GCA_FIRESTORE_COLLECTION,
    contentMode: e.GCA_CONTENT_MODE,
    pseudonymizeKey: e.GCA_PSEUDONYMIZE_KEY ?? null,
    recomputeLookbackDays:
      e.GCA_RECOMPUTE_LOOKBACK_DAYS ??
      (e.GCA_WAREHOUSE.kind === 'bigquery' ? DEFAULT_BIGQUERY_LOOKBACK_DAYS : null),
    retentionDefaults: {
      contentDays: e.GCA_CONTENT_DAYS,
      eventDays: e.GCA_EVENT_DAYS,
      quarantineDays: e.GCA_QUARANTINE_DAYS,
    },
    logLevel: e.GCA_LOG_LEVEL,
  };
}
