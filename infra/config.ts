/**
 * Stack configuration: every `gca-analytics:*` key, validated with zod before any resource is
 * declared, so a typo or a bad value fails `pulumi preview` with a message naming the key.
 * With only `gcp:project` and `gcp:region` set, every other key has a safe default.
 */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { CONTENT_MODES, DEFAULT_CONTENT_MODE } from '../shared/content/mode';
import { DEFAULT_RETENTION_POLICY } from '../shared/state/port';
import { NAME_PREFIX_PATTERN, datasetIds } from './naming';

/** The Pulumi project name, which is also the namespace of its config keys. */
export const CONFIG_NAMESPACE = 'gca-analytics';

export const SINK_SCOPES = ['project', 'folder', 'organization'] as const;
export type SinkScope = (typeof SINK_SCOPES)[number];

/** A bad or unknown config value; `key` is the full key, e.g. `gca-analytics:sinkScope`. */
export class InfraConfigError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`Invalid config ${key}: ${detail}`);
    this.name = 'InfraConfigError';
  }
}

/**
 * An IAM principal that may be granted read access. Public principals are refused outright:
 * `gca_analytics` holds per-user figures, and nothing in this stack is ever public.
 */
const PrincipalSchema = z
  .string()
  .trim()
  .regex(
    /^(user|group|serviceAccount):[^@\s]+@[^@\s]+\.[^@\s]+$|^domain:[a-z0-9.-]+\.[a-z]{2,}$/i,
    'expected user:EMAIL, group:EMAIL, serviceAccount:EMAIL or domain:DOMAIN (allUsers and allAuthenticatedUsers are refused)',
  );

/** Config values arrive as text; lists may be JSON arrays or comma-separated. */
function textList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return text.split(',').map((s) => s.trim());
}

const intText = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z
      .number({ error: 'expected a whole number' })
      .int('expected a whole number')
      .min(min, `must be between ${min} and ${max}`)
      .max(max, `must be between ${min} and ${max}`),
  );

/** Five-field cron, as Cloud Scheduler takes it (unix-cron). */
const CronSchema = z
  .string()
  .trim()
  .regex(/^(\S+\s+){4}\S+$/, 'expected a five-field unix-cron schedule, e.g. "0 * * * *"');

const KmsKeySchema = z
  .string()
  .trim()
  .regex(
    /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
    'expected projects/P/locations/L/keyRings/R/cryptoKeys/K',
  );

const LOCATION = /^[a-z]+(-[a-z]+[0-9]*)*[0-9]*$/i;

/** A decimal number given as text, e.g. `1` or `0.5`. */
const numberText = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v),
    z
      .number({ error: 'expected a number' })
      .min(min, `must be between ${min} and ${max}`)
      .max(max, `must be between ${min} and ${max}`),
  );

/** BigQuery dataset ids: letters, digits and underscores (no hyphen), at most 1024. */
const DatasetIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_]{1,1024}$/, 'expected a BigQuery dataset id (letters, digits, _)');

/** `8-18`: whole hours, UTC, start inclusive, end exclusive. */
const HoursSchema = z
  .string()
  .trim()
  .regex(/^\d{1,2}-\d{1,2}$/, 'expected START-END in whole hours, e.g. 8-18')
  .transform((v) => {
    const [start, end] = v.split('-').map(Number) as [number, number];
    return { start, end };
  })
  .refine((h) => h.start < h.end && h.end <= 24, 'expected 0 <= START < END <= 24');

/** `pulumi config set KEY false` stores the text `false`; `--type bool` may give a boolean. */
const BoolText = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const text = v.trim().toLowerCase();
    return text === 'true' ? true : text === 'false' ? false : v;
  },
  z.boolean({ error: 'expected true or false' }),
);

/** The `gca-analytics:*` keys. Keep in step with docs/deploy.md (a test checks it). */
const StackKeysSchema = z
  .strictObject({
    // Empty: the first release's physical names, so an existing stack keeps its resources. Set
    // one per stack (dev, prod) to run several stacks in one project (infra/naming.ts).
    namePrefix: z
      .string()
      .trim()
      .regex(NAME_PREFIX_PATTERN, 'expected at most 6 lowercase letters or digits, a letter first')
      .default(''),
    // Undefined: `gca_raw` and `gca_analytics` after the prefix (`dev_gca_raw`). Analysts' and
    // Looker's queries name these, so a stack may keep names they already use.
    rawDatasetId: DatasetIdSchema.optional(),
    analyticsDatasetId: DatasetIdSchema.optional(),
    // A project sink is the one scope a project owner can create without org-level rights.
    sinkScope: z.enum(SINK_SCOPES).default('project'),
    // Numeric folder or organization id; only read for those scopes.
    sinkParentId: z
      .string()
      .trim()
      .regex(/^\d+$/, 'expected the numeric folder or organization id')
      .optional(),
    // Undefined: the functions' region, so content is stored where it is processed.
    datasetLocation: z.string().trim().regex(LOCATION, 'expected a BigQuery location').optional(),
    // Undefined: the functions' region (a regional Firestore location).
    firestoreLocation: z
      .string()
      .trim()
      .regex(LOCATION, 'expected a Firestore location')
      .optional(),
    // Scrubbed: text kept for debugging with secrets replaced (shared/content/mode.ts).
    contentMode: z.enum(CONTENT_MODES).default(DEFAULT_CONTENT_MODE),
    // The retention defaults of the state store's policy (shared/state/port.ts).
    contentRetentionDays: intText(1, 3650).default(DEFAULT_RETENTION_POLICY.contentDays),
    eventRetentionDays: intText(1, 3650).default(DEFAULT_RETENTION_POLICY.eventDays),
    quarantineRetentionDays: intText(1, 3650).default(DEFAULT_RETENTION_POLICY.quarantineDays),
    // Hourly, so figures are at most an hour behind; at :15, away from the top-of-the-hour rush.
    // Every run reads the same bytes whatever it covers: free at 100 developers, ~$150 a month of
    // BigQuery at 10,000, where docs/deploy.md (What it costs) recommends four runs a working day.
    recomputeSchedule: CronSchema.default('15 * * * *'),
    // Daily at 03:30, a quiet hour, after the previous day's late entries have landed.
    retentionSchedule: CronSchema.default('30 3 * * *'),
    // UTC, the time zone every figure is computed in.
    scheduleTimeZone: z.string().trim().min(1).default('Etc/UTC'),
    // Every 429 (ingest at its maximum instances) and 503 (a transient write failure) spends an
    // attempt. With the backoff doubling from 10 s to its 600 s cap, 15 attempts keep a message
    // about 90 minutes (10+20+40+80+160+320 s, then 8 x 600 s: 5,430 s) before dead-lettering:
    // a burst the autoscaler absorbs within minutes, or a BigQuery incident of an hour, never
    // dead-letters, and a message that can never be written still reaches the dead-letter topic
    // the same working day. (Bad input never retries: it is quarantined and acked.)
    maxDeliveryAttempts: intText(5, 100).default(15),
    // Shorter than Pub/Sub's 7-day maximum: the dead-letter subscription holds entries as the
    // sink wrote them, prompts and responses unscrubbed, outside the content policy and the
    // erasure process. 3 days cover a weekend to notice (the dead-letter alert fires at once)
    // and replay.
    deadLetterRetentionDays: intText(1, 7).default(3),
    // Undefined: the functions' region, so log entries (content included) are stored in Pub/Sub
    // only where they are processed (e.g. EU deployments stay in the EU). JSON list or comma-
    // separated regions; `[]` sets no policy (any region the organization policy allows).
    allowedPersistenceRegions: z
      .preprocess(
        textList,
        z.array(
          z
            .string()
            .trim()
            .regex(/^[a-z]+-[a-z]+[0-9]+$/, 'expected regions, e.g. europe-west1'),
        ),
      )
      .optional(),
    // Unset: the dataset's billing is left as it is (BigQuery's default: logical, uncompressed
    // bytes), so an upgraded stack changes nothing (BigQuery allows one change every 14 days).
    // PHYSICAL bills the compressed bytes at twice the rate, plus time-travel and fail-safe
    // bytes: cheaper once the raw tables compress better than about 2.2x (docs/deploy.md, What
    // it costs: ~$11 less a month at 10,000 developers, content at 3x and the other columns at
    // 4x). Only gca_raw: the one dataset whose storage is a line of the bill.
    rawStorageBillingModel: z.enum(['LOGICAL', 'PHYSICAL']).optional(),
    // Unset: BigQuery's default window, 7 days, for reading or restoring raw rows as they were.
    // Under physical billing its bytes are billed (every content expiry rewrites a day of
    // requests and responses): 48, BigQuery's minimum, bills 5 fewer days of them.
    rawTimeTravelHours: intText(48, 168)
      .refine((v) => v % 24 === 0, 'a multiple of 24 (whole days)')
      .optional(),
    // No CMEK by default: Google-managed encryption needs no key administration.
    kmsKeyName: KmsKeySchema.optional(),
    // Nobody reads the analytics dataset until someone is named.
    analystPrincipals: z.preprocess(textList, z.array(PrincipalSchema)).default([]),
    lookerPrincipals: z.preprocess(textList, z.array(PrincipalSchema)).default([]),
    // Alerts are visible in Cloud Monitoring even with no channel; channels are per team.
    alertNotificationChannels: z
      .preprocess(
        textList,
        z.array(
          z
            .string()
            .regex(
              /^projects\/[^/]+\/notificationChannels\/[^/]+$/,
              'expected projects/P/notificationChannels/ID',
            ),
        ),
      )
      .default([]),
    // Ingest summary lines (one per group-commit flush) that quarantined entries, per 5 minutes,
    // tolerated before alerting. Zero: any quarantined entry is worth a look, it is data the
    // figures do not include.
    quarantineAlertThreshold: intText(0, 1_000_000).default(0),
    // Caps concurrent BigQuery writers and the bill during a burst (Pub/Sub then backs off and
    // retries). 10 instances of 1 vCPU at 80 requests each take ~2,400 messages/s (concurrency,
    // not CPU, is the limit at the measured 0.63-0.82 CPU-ms a message): about 7x the peak of
    // 10,000 developers (docs/deploy.md, Capacity).
    ingestMaxInstances: intText(1, 1000).default(10),
    // A whole vCPU: below 1, Cloud Run requires a maximum concurrency of 1 (cloud.google.com/
    // run/docs/configuring/cpu), and ingest's group commit needs concurrent requests in one
    // instance to share BigQuery writes. 0.08 to 1, or 2 (above 1 only whole numbers; 4 and more
    // need more memory than the function's 512Mi, and single-threaded Node.js gains little).
    ingestCpu: numberText(0.08, 2)
      .refine((v) => v <= 1 || Number.isInteger(v), 'above 1, a whole number of vCPUs')
      .default(1),
    // Cloud Run's default for one vCPU. Ingest waits on BigQuery most of a request (~0.2 s)
    // and spends under 1 ms of CPU on it, so 80 in flight keep one vCPU well short of saturation
    // while group commit writes tens of rows per insertAll (docs/deploy.md, Capacity).
    ingestConcurrency: intText(1, 1000).default(80),
    // 15 minutes: longer than the backoff of a few 429s in a burst, short enough to act before
    // messages spend their delivery attempts (about 90 minutes).
    backlogAlertMinutes: intText(1, 1440).default(15),
    // An hour without a single entry in working hours: at 100 developers there are ~200
    // entries an hour, so a quiet hour means a broken sink, not a quiet team.
    noDataAlertMinutes: intText(10, 600).default(60),
    // Working hours of the no-data alert, UTC, Monday to Friday (PromQL's hour() is UTC).
    workingHoursUtc: HoursSchema.default({ start: 8, end: 18 }),
    // 5xx answers of ingest per 5 minutes tolerated: each is a redelivery, and a BigQuery blip
    // makes a few; 50 in 5 minutes is a failing dependency.
    ingestErrorAlertThreshold: intText(0, 1_000_000).default(50),
    // On: the BigQuery tables, the datasets' contents and the Firestore database (which
    // holds pending erasure requests) hold data the logs no longer have, so no `pulumi destroy`,
    // and no `pulumi up` that would replace one of them, may delete it as a side effect. Set false
    // only to tear the stack down (docs/deploy.md, Tear down).
    deletionProtection: BoolText.default(true),
    // Optional Secret Manager secret (name or projects/P/secrets/NAME) holding the HMAC key that
    // pseudonymizes user ids; unset means user ids are stored as logged.
    pseudonymKeySecret: z
      .string()
      .trim()
      .regex(/^(projects\/[^/]+\/secrets\/)?[A-Za-z0-9_-]+$/, 'expected a Secret Manager secret id')
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.ingestConcurrency > 1 && v.ingestCpu < 1) {
      // Cloud Run: instances with less than one vCPU serve one request at a time.
      ctx.addIssue({
        code: 'custom',
        path: ['ingestConcurrency'],
        message:
          'more than 1 needs ingestCpu of at least 1 (Cloud Run: a fractional vCPU serves one request at a time)',
      });
    }
    // The ids the stack really uses (infra/naming.ts): an override may equal the other
    // dataset's prefixed default (`rawDatasetId gca_analytics`, or `dev_gca_raw` under `dev`).
    const datasets = datasetIds(v.namePrefix, v);
    if (datasets.gca_raw === datasets.gca_analytics) {
      ctx.addIssue({
        code: 'custom',
        path: ['analyticsDatasetId'],
        message: `must differ from rawDatasetId (both resolve to ${datasets.gca_raw})`,
      });
    }
    // The no-data alert is evaluated from START*60 + noDataAlertMinutes to END (UTC) only
    // (infra/components/alerting.ts, noDataQuery): that window must not be empty.
    const { start, end } = v.workingHoursUtc;
    if (start * 60 + v.noDataAlertMinutes >= end * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['noDataAlertMinutes'],
        message:
          `noDataAlertMinutes ${v.noDataAlertMinutes} must be shorter than workingHoursUtc ${start}-${end} ` +
          `(${(end - start) * 60} minutes): the no-data alert is evaluated only from START + ` +
          'noDataAlertMinutes to END, so it could never fire',
      });
    }
    if (v.sinkScope !== 'project' && !v.sinkParentId) {
      ctx.addIssue({
        code: 'custom',
        path: ['sinkParentId'],
        message: `required when sinkScope is ${v.sinkScope}`,
      });
    }
  });

const GcpKeysSchema = z.object({
  project: z
    .string({ error: 'required: pulumi config set gcp:project PROJECT_ID' })
    .trim()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a project id'),
  region: z
    .string({ error: 'required: pulumi config set gcp:region REGION' })
    .trim()
    .regex(/^[a-z]+-[a-z]+[0-9]+$/, 'expected a region, e.g. europe-west1'),
});

export type StackKeys = z.infer<typeof StackKeysSchema>;

/** The validated configuration the program is built from. */
export interface InfraConfig extends Omit<
  StackKeys,
  'datasetLocation' | 'firestoreLocation' | 'sinkParentId' | 'allowedPersistenceRegions'
> {
  project: string;
  region: string;
  datasetLocation: string;
  firestoreLocation: string;
  allowedPersistenceRegions: string[];
  sinkParentId?: string;
}

function firstError(error: z.ZodError, namespace: string): InfraConfigError {
  const issue = error.issues[0];
  const key = issue && issue.path.length > 0 ? String(issue.path[0]) : '(config)';
  return new InfraConfigError(`${namespace}:${key}`, issue?.message ?? 'invalid');
}

/**
 * Validates the stack's configuration. `raw` is `pulumi.runtime.allConfig()`: full keys
 * (`gcp:project`, `gca-analytics:sinkScope`) to text values (structured values as JSON text).
 * Throws an `InfraConfigError` naming the first bad key; unknown `gca-analytics:*` keys are
 * errors too, because a misspelt key would otherwise be silently ignored.
 */
export function parseInfraConfig(raw: Readonly<Record<string, string>>): InfraConfig {
  const ours: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    if (fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
      ours[fullKey.slice(CONFIG_NAMESPACE.length + 1)] = value;
    }
  }
  const gcp = GcpKeysSchema.safeParse({ project: raw['gcp:project'], region: raw['gcp:region'] });
  if (!gcp.success) throw firstError(gcp.error, 'gcp');
  const keys = StackKeysSchema.safeParse(ours);
  if (!keys.success) {
    const issue = keys.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      const names = issue.keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(', ');
      throw new InfraConfigError(names, 'unknown key (see docs/deploy.md for the keys)');
    }
    throw firstError(keys.error, CONFIG_NAMESPACE);
  }
  const { datasetLocation, firestoreLocation, sinkParentId, allowedPersistenceRegions, ...rest } =
    keys.data;
  return {
    ...rest,
    ...(rest.sinkScope === 'project' ? {} : { sinkParentId }),
    project: gcp.data.project,
    region: gcp.data.region,
    datasetLocation: datasetLocation ?? gcp.data.region,
    firestoreLocation: firestoreLocation ?? gcp.data.region,
    allowedPersistenceRegions: allowedPersistenceRegions ?? [gcp.data.region],
  };
}

/** Reads and validates the current stack's configuration (call from the program, not at import). */
export function loadInfraConfig(): InfraConfig {
  return parseInfraConfig(pulumi.runtime.allConfig());
}

/** Every `gca-analytics:*` key, for the docs test. */
export const STACK_KEYS: readonly string[] = Object.keys(StackKeysSchema.shape);
