/**
 * Stack configuration: every `gca-analytics:*` key, validated with zod before any resource is
 * declared, so a typo or a bad value fails `pulumi preview` with a message naming the key.
 * With only `gcp:project` and `gcp:region` set, every other key has a safe default.
 */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { CONTENT_MODES, DEFAULT_CONTENT_MODE } from '../shared/content/mode';
import { DEFAULT_RETENTION_POLICY } from '../shared/state/port';

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
    // Hourly at :15, away from the top-of-the-hour rush; DESIGN.md asks for hourly recompute.
    recomputeSchedule: CronSchema.default('15 * * * *'),
    // Daily at 03:30, a quiet hour, after the previous day's late entries have landed.
    retentionSchedule: CronSchema.default('30 3 * * *'),
    // UTC, the time zone every figure is computed in.
    scheduleTimeZone: z.string().trim().min(1).default('Etc/UTC'),
    // Ten attempts span about an hour with the 10 s..600 s backoff: long enough for a BigQuery
    // incident to pass, short enough that a poison message reaches the dead-letter topic soon.
    maxDeliveryAttempts: intText(5, 100).default(10),
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
    // Invocations that quarantined entries, per 5 minutes, tolerated before alerting. Zero: any
    // quarantined entry is worth a look, it is data the figures do not include.
    quarantineAlertThreshold: intText(0, 1_000_000).default(0),
    // Caps concurrent BigQuery streaming writers and the bill during a log burst.
    ingestMaxInstances: intText(1, 1000).default(20),
    // On: the BigQuery tables and views, the datasets' contents and the Firestore database (which
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
  'datasetLocation' | 'firestoreLocation' | 'sinkParentId'
> {
  project: string;
  region: string;
  datasetLocation: string;
  firestoreLocation: string;
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
  const { datasetLocation, firestoreLocation, sinkParentId, ...rest } = keys.data;
  return {
    ...rest,
    ...(rest.sinkScope === 'project' ? {} : { sinkParentId }),
    project: gcp.data.project,
    region: gcp.data.region,
    datasetLocation: datasetLocation ?? gcp.data.region,
    firestoreLocation: firestoreLocation ?? gcp.data.region,
  };
}

/** Reads and validates the current stack's configuration (call from the program, not at import). */
export function loadInfraConfig(): InfraConfig {
  return parseInfraConfig(pulumi.runtime.allConfig());
}

/** Every `gca-analytics:*` key, for the docs test. */
export const STACK_KEYS: readonly string[] = Object.keys(StackKeysSchema.shape);
