/**
 * Physical names of everything the stack creates, from `gca-analytics:namePrefix`, in the form
 * each resource accepts. The empty prefix gives the names of the first release (`gca-logs`,
 * `gca_raw`, `gca-ingest`, ...), so an existing deployment keeps its resources; `dev` gives
 * `dev-gca-logs`, `dev_gca_raw`, `dev-gca-ingest`, so a dev and a prod stack share a project.
 *
 * Logical (Pulumi) names are a different thing: they are per stack, so they carry no prefix; the
 * components name their children from their own name (pulumi-awsx's convention).
 */
import { NAME_PREFIX_PATTERN, prefixedName, pubsubNames } from '../shared/ops/pubsub-names';
import type { IdentityName } from './components/identities';
import type { FunctionName } from './bundle';

// The prefix rule and the Pub/Sub names live in shared/ops/pubsub-names.ts, so the command
// (`dead-letters --name-prefix`) derives the same names without loading Pulumi.
export { NAME_PREFIX_PATTERN };

/** Service account ids: 6-30 characters, `[a-z][-a-z0-9]*[a-z0-9]` (IAM's rule). */
const SERVICE_ACCOUNT_ID_PATTERN = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

/** The base service account ids (the names of an unprefixed stack). */
export const SERVICE_ACCOUNT_BASE_IDS: Readonly<Record<IdentityName, string>> = {
  ingest: 'gca-ingest',
  recompute: 'gca-recompute',
  retention: 'gca-retention',
  ingestPush: 'gca-ingest-push',
  recomputeScheduler: 'gca-recompute-scheduler',
  retentionScheduler: 'gca-retention-scheduler',
  build: 'gca-functions-build',
};

export interface StackNames {
  /** The prefix itself ('' when none). */
  prefix: string;
  topic: string;
  deadLetterTopic: string;
  deadLetterSubscription: string;
  pushSubscription: string;
  sink: string;
  /** BigQuery dataset ids (`_`, never `-`). */
  datasets: { gca_raw: string; gca_analytics: string };
  firestoreDatabase: string;
  functions: Record<FunctionName, string>;
  schedulerJobs: Record<'recompute' | 'retention', string>;
  serviceAccounts: Record<IdentityName, string>;
  /** Globally unique: the project id is part of it. */
  sourceBucket: string;
  /** Log-based metric names. */
  quarantineMetric: string;
  /** The exclusion of ingest's successful request logs on the project's `_Default` sink. */
  requestLogExclusion: string;
  /** Alert policy display names start with this (`gca-analytics` or `gca-analytics [dev]`). */
  alertTitle: string;
}

/** Overrides of the dataset ids (analysts' and Looker's queries name them). */
export interface DatasetOverrides {
  rawDatasetId?: string;
  analyticsDatasetId?: string;
}

/**
 * The BigQuery dataset ids a stack uses: the overrides, else `gca_raw` and `gca_analytics` after
 * the prefix (`dev_gca_raw`). The config's validation compares these, so they must be the ids
 * `stackNames` gives.
 */
export function datasetIds(
  prefix: string,
  overrides: DatasetOverrides = {},
): StackNames['datasets'] {
  const underscore = (base: string): string => (prefix ? `${prefix}_${base}` : base);
  return {
    gca_raw: overrides.rawDatasetId ?? underscore('gca_raw'),
    gca_analytics: overrides.analyticsDatasetId ?? underscore('gca_analytics'),
  };
}

/** Every physical name of a stack. Throws when the prefix is not one `NAME_PREFIX_PATTERN` takes. */
export function stackNames(
  prefix: string,
  project: string,
  overrides: DatasetOverrides = {},
): StackNames {
  const pubsub = pubsubNames(prefix); // throws for a bad prefix
  const hyphen = (base: string): string => prefixedName(prefix, base);
  const underscore = (base: string): string => (prefix ? `${prefix}_${base}` : base);
  const serviceAccounts = Object.fromEntries(
    Object.entries(SERVICE_ACCOUNT_BASE_IDS).map(([k, id]) => [k, hyphen(id)]),
  ) as Record<IdentityName, string>;
  for (const id of Object.values(serviceAccounts)) {
    if (!SERVICE_ACCOUNT_ID_PATTERN.test(id)) throw new Error(`service account id ${id} too long`);
  }
  return {
    prefix,
    ...pubsub,
    sink: hyphen('gca-analytics-logs'),
    datasets: datasetIds(prefix, overrides),
    firestoreDatabase: hyphen('gca-analytics'),
    functions: {
      ingest: hyphen('gca-ingest'),
      recompute: hyphen('gca-recompute'),
      retention: hyphen('gca-retention'),
    },
    schedulerJobs: {
      recompute: hyphen('gca-recompute-schedule'),
      retention: hyphen('gca-retention-schedule'),
    },
    serviceAccounts,
    sourceBucket: `${project}-${hyphen('gca-functions-source')}`,
    quarantineMetric: underscore('gca_ingest_quarantined'),
    requestLogExclusion: hyphen('gca-ingest-requests'),
    alertTitle: prefix ? `gca-analytics [${prefix}]` : 'gca-analytics',
  };
}
