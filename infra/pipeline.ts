/**
 * The composition of the gca-analytics stack: Cloud Logging sink -> Pub/Sub -> ingest ->
 * BigQuery, scheduled recompute and retention, Firestore state, alerting. Components live in
 * `components/`; `index.ts` is the program entry that validates the config, bundles the
 * functions and calls `createPipeline`.
 */
import * as path from 'node:path';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { EnvVar } from '../shared/config';
import { REGISTRY } from '../shared/tables/registry';
import { bundleFunction, FUNCTION_NAMES, type FunctionArtifact, type FunctionName } from './bundle';
import type { InfraConfig } from './config';
import { Alerting } from './components/alerting';
import { AnalyticsDatasets } from './components/analytics-datasets';
import { RequiredApis } from './components/apis';
import { CloudFunction, type SecretEnv } from './components/cloud-function';
import { CmekGrants } from './components/cmek';
import { ControlStateDatabase } from './components/control-state-database';
import { EventBus } from './components/event-bus';
import { FunctionSourceBucket } from './components/function-source';
import { ServiceIdentities } from './components/identities';
import { LogSink } from './components/log-sink';
import { PushSubscription } from './components/push-subscription';
import { ScheduledCall } from './components/scheduled-call';
import { stackNames } from './naming';

/** The Node.js runtime of the functions; the bundles target the same major. */
export const NODE_MAJOR = 20;

/** Per-function runtime settings, each with its reason. */
const FUNCTION_SETTINGS: Record<
  FunctionName,
  { timeoutSeconds: number; availableMemory: string; maxInstances?: number }
> = {
  // One push delivery is one message (written within a group commit's short delay); a minute
  // is plenty, and Pub/Sub waits a bit longer. 512Mi holds 80 messages in flight with ease.
  // CPU, concurrency and max instances come from the stack config (config.ts).
  ingest: { timeoutSeconds: 60, availableMemory: '512Mi' },
  // Incremental recompute is a few query jobs; a full rebuild may take minutes. One instance:
  // the lease already serializes runs.
  recompute: { timeoutSeconds: 1800, availableMemory: '512Mi', maxInstances: 1 },
  retention: { timeoutSeconds: 1800, availableMemory: '512Mi', maxInstances: 1 },
};

/**
 * Push retry backoff: Pub/Sub's bounds, about doubling from 10 s up to 10 minutes. The cap is
 * what makes `maxDeliveryAttempts` a span of time (config.ts: 15 attempts, ~90 minutes).
 */
const RETRY_MIN_BACKOFF = '10s';
const RETRY_MAX_BACKOFF = '600s';

/**
 * The wait between creating the quarantine log-based metric and the alert policy reading it
 * (components/alerting.ts). Google says up to 10 minutes; the wait runs in parallel with the
 * function builds (which take minutes), so the policy comes at least this long after the metric.
 */
const METRIC_VISIBLE_AFTER = '240s';

/**
 * The request log entries Cloud Run writes for the successful pushes to ingest, one per message
 * (132 M a month at 10,000 developers, ~$61 of Cloud Logging; docs/deploy.md, What it costs).
 * Nothing reads them: ingest logs its own summary lines and errors, and the alerts read Cloud
 * Run's and Pub/Sub's metrics, which exclusions do not touch. Errors (status 400 and up) are kept.
 */
function ingestRequestLogFilter(serviceName: string): string {
  return [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name="${serviceName}"`,
    'log_id("run.googleapis.com/requests")',
    'httpRequest.status<400',
  ].join('\n');
}

/** The stack outputs. */
export interface PipelineOutputs {
  rawDatasetId: pulumi.Output<string>;
  analyticsDatasetId: pulumi.Output<string>;
  topic: pulumi.Output<string>;
  deadLetterSubscription: pulumi.Output<string>;
  functionUrls: pulumi.Output<Record<FunctionName, string>>;
  sinkWriterIdentity: pulumi.Output<string>;
  firestoreDatabase: pulumi.Output<string>;
}

/** Builds the three function bundles from the repository's `functions/` entries. */
export function buildFunctionArtifacts(
  rootDir: string = path.resolve(__dirname, '..'),
): Record<FunctionName, FunctionArtifact> {
  return Object.fromEntries(
    FUNCTION_NAMES.map((n) => [n, bundleFunction(n, { rootDir, nodeMajor: NODE_MAJOR })]),
  ) as Record<FunctionName, FunctionArtifact>;
}

/** Declares every resource of the pipeline from a validated configuration. */
export function createPipeline(
  config: InfraConfig,
  artifacts: Record<FunctionName, FunctionArtifact>,
): PipelineOutputs {
  const { project, region } = config;
  const names = stackNames(config.namePrefix, project, {
    rawDatasetId: config.rawDatasetId,
    analyticsDatasetId: config.analyticsDatasetId,
  });
  const apis = new RequiredApis('apis', { project });
  const afterApis = apis.services;

  const pubsubAgent = new gcp.projects.ServiceIdentity(
    'pubsub-agent',
    { project, service: 'pubsub.googleapis.com' },
    { dependsOn: afterApis },
  );
  const cmek = config.kmsKeyName
    ? new CmekGrants('cmek', {
        project,
        kmsKeyName: config.kmsKeyName,
        pubsubAgentMember: pubsubAgent.member,
        dependsOn: afterApis,
      })
    : undefined;
  const afterKeys = [...afterApis, ...(cmek?.grants ?? [])];

  const identities = new ServiceIdentities('identities', {
    project,
    accountIds: names.serviceAccounts,
    displaySuffix: names.prefix ? ` [${names.prefix}]` : '',
    dependsOn: afterApis,
  });
  const sa = identities.accounts;

  const bus = new EventBus('bus', {
    project,
    topicName: names.topic,
    deadLetterTopicName: names.deadLetterTopic,
    deadLetterSubscriptionName: names.deadLetterSubscription,
    deadLetterRetentionSeconds: config.deadLetterRetentionDays * 86_400,
    allowedPersistenceRegions: config.allowedPersistenceRegions,
    kmsKeyName: config.kmsKeyName,
    pubsubAgentMember: pubsubAgent.member,
    dependsOn: afterKeys,
  });

  const datasets = new AnalyticsDatasets('datasets', {
    project,
    datasetIds: names.datasets,
    location: config.datasetLocation,
    kmsKeyName: config.kmsKeyName,
    registry: REGISTRY,
    writers: {
      ingest: sa.ingest.email,
      recompute: sa.recompute.email,
      retention: sa.retention.email,
    },
    readers: [...config.analystPrincipals, ...config.lookerPrincipals],
    deletionProtection: config.deletionProtection,
    rawStorage: {
      billingModel: config.rawStorageBillingModel,
      timeTravelHours: config.rawTimeTravelHours,
    },
    dependsOn: afterKeys,
  });
  // Readers run their own queries: jobUser lets them start query jobs, and grants no data.
  for (const principal of new Set([...config.analystPrincipals, ...config.lookerPrincipals])) {
    new gcp.projects.IAMMember(`reader-jobuser-${principal.replace(/[^A-Za-z0-9]+/g, '-')}`, {
      project,
      role: 'roles/bigquery.jobUser',
      member: principal,
    });
  }

  const state = new ControlStateDatabase('state', {
    project,
    databaseId: names.firestoreDatabase,
    location: config.firestoreLocation,
    deletionProtection: config.deletionProtection,
    dependsOn: afterApis,
  });

  const source = new FunctionSourceBucket('function-source', {
    project,
    bucketName: names.sourceBucket,
    location: region,
    dependsOn: afterApis,
  });

  const environment: Partial<Record<EnvVar, pulumi.Input<string>>> = {
    GCA_WAREHOUSE: 'bigquery',
    GCA_STATE: 'firestore',
    GOOGLE_CLOUD_PROJECT: project,
    GCA_RAW_DATASET: datasets.datasets.gca_raw.datasetId,
    GCA_ANALYTICS_DATASET: datasets.datasets.gca_analytics.datasetId,
    GCA_BQ_LOCATION: config.datasetLocation,
    GCA_FIRESTORE_DATABASE: state.database.name,
    GCA_CONTENT_MODE: config.contentMode,
    GCA_CONTENT_DAYS: String(config.contentRetentionDays),
    GCA_EVENT_DAYS: String(config.eventRetentionDays),
    GCA_QUARANTINE_DAYS: String(config.quarantineRetentionDays),
  };
  const pseudonymSecret = parseSecretId(config.pseudonymKeySecret, project);
  const secrets: SecretEnv[] = pseudonymSecret
    ? [{ key: 'GCA_PSEUDONYMIZE_KEY' satisfies EnvVar, ...pseudonymSecret }]
    : [];
  // Ingest pseudonymizes as it writes; retention needs the same key to find an erased user's rows.
  const secretUsers: FunctionName[] = ['ingest', 'retention'];
  const secretGrants: gcp.secretmanager.SecretIamMember[] = [];
  if (pseudonymSecret) {
    for (const fn of secretUsers) {
      const grant = new gcp.secretmanager.SecretIamMember(`pseudonym-key-${fn}`, {
        project: pseudonymSecret.projectId,
        secretId: pseudonymSecret.secret,
        role: 'roles/secretmanager.secretAccessor',
        member: sa[fn].member,
      });
      secretGrants.push(grant);
    }
  }

  const invokers: Record<FunctionName, gcp.serviceaccount.Account> = {
    ingest: sa.ingestPush,
    recompute: sa.recomputeScheduler,
    retention: sa.retentionScheduler,
  };
  const functions = {} as Record<FunctionName, CloudFunction>;
  for (const target of FUNCTION_NAMES) {
    const settings = FUNCTION_SETTINGS[target];
    functions[target] = new CloudFunction(`gca-${target}`, {
      project,
      region,
      functionName: names.functions[target],
      target,
      artifact: artifacts[target],
      sourceBucket: source.bucket.name,
      serviceAccountEmail: sa[target].email,
      buildServiceAccountId: sa.build.id,
      invokerMember: invokers[target].member,
      environment,
      secrets: secretUsers.includes(target) ? secrets : [],
      timeoutSeconds: settings.timeoutSeconds,
      availableMemory: settings.availableMemory,
      ...(target === 'ingest'
        ? { availableCpu: String(config.ingestCpu), concurrency: config.ingestConcurrency }
        : {}),
      maxInstances: settings.maxInstances ?? config.ingestMaxInstances,
      runtime: `nodejs${NODE_MAJOR}`,
      // In effect before the deploy starts: the build identity's role (else Cloud Build cannot
      // read the source and the first deploy fails), the runtime identity's grants (the deploy
      // checks it can read its secrets; the first request needs BigQuery and Firestore), the
      // datasets and the database it is configured with.
      dependsOn: [
        ...afterApis,
        ...identities.grants.build,
        ...identities.grants[target],
        datasets,
        state,
        ...secretGrants,
      ],
    });
  }

  const push = new PushSubscription('gca-logs-ingest-push', {
    project,
    subscriptionName: names.pushSubscription,
    topicId: bus.topic.id,
    endpoint: functions.ingest.url,
    pushServiceAccountEmail: sa.ingestPush.email,
    pushServiceAccountName: sa.ingestPush.name,
    deadLetterTopicId: bus.deadLetterTopic.id,
    maxDeliveryAttempts: config.maxDeliveryAttempts,
    pubsubAgentMember: pubsubAgent.member,
    // Longer than the ingest timeout, so Pub/Sub never redelivers a call still running.
    ackDeadlineSeconds: FUNCTION_SETTINGS.ingest.timeoutSeconds + 30,
    minimumBackoff: RETRY_MIN_BACKOFF,
    maximumBackoff: RETRY_MAX_BACKOFF,
    dependsOn: [functions.ingest.invoker, bus.deadLetterPublisher],
  });

  // The sink publishes as soon as its writer identity may: only once the push subscription
  // (and its grants) exist, since a message published to a topic with no subscription is lost.
  const sink = new LogSink('log-sink', {
    project,
    sinkName: names.sink,
    scope: config.sinkScope,
    parentId: config.sinkParentId,
    topicId: bus.topic.id,
    topicName: bus.topic.name,
    deliverAfter: [push],
    dependsOn: afterApis,
  });

  // An exclusion on the project's _Default sink (the Logging API's project exclusions are that
  // sink's): excluded entries are neither stored nor billed; other sinks still get them.
  new gcp.logging.ProjectExclusion(
    'ingest-request-logs',
    {
      project,
      name: names.requestLogExclusion,
      description: `Successful push deliveries to ${names.functions.ingest} (gca-analytics)`,
      filter: ingestRequestLogFilter(names.functions.ingest),
    },
    { dependsOn: afterApis },
  );

  const schedules: Record<'recompute' | 'retention', string> = {
    recompute: config.recomputeSchedule,
    retention: config.retentionSchedule,
  };
  for (const target of ['recompute', 'retention'] as const) {
    new ScheduledCall(`gca-${target}-schedule`, {
      project,
      region,
      jobName: names.schedulerJobs[target],
      schedule: schedules[target],
      timeZone: config.scheduleTimeZone,
      uri: functions[target].url,
      serviceAccountEmail: invokers[target].email,
      // Cloud Scheduler waits at most 30 minutes, the functions' timeout.
      attemptDeadlineSeconds: FUNCTION_SETTINGS[target].timeoutSeconds,
      // A call before the invoker grant is in effect is a 403.
      dependsOn: [...afterApis, functions[target].invoker],
    });
  }

  new Alerting('alerting', {
    project,
    title: names.alertTitle,
    quarantineMetricName: names.quarantineMetric,
    ingestServiceName: names.functions.ingest,
    scheduledServiceNames: [names.functions.recompute, names.functions.retention],
    pushSubscriptionName: names.pushSubscription,
    deadLetterSubscriptionName: names.deadLetterSubscription,
    backlogAlertMinutes: config.backlogAlertMinutes,
    noDataAlertMinutes: config.noDataAlertMinutes,
    workingHoursUtc: config.workingHoursUtc,
    quarantineThreshold: config.quarantineAlertThreshold,
    ingestErrorThreshold: config.ingestErrorAlertThreshold,
    notificationChannels: config.alertNotificationChannels,
    metricVisibleAfter: METRIC_VISIBLE_AFTER,
    quarantinePolicyAfter: [functions.ingest],
    dependsOn: afterApis,
  });

  return {
    rawDatasetId: datasets.datasets.gca_raw.datasetId,
    analyticsDatasetId: datasets.datasets.gca_analytics.datasetId,
    topic: bus.topic.id,
    deadLetterSubscription: bus.deadLetterSubscription.id,
    functionUrls: pulumi
      .all([functions.ingest.url, functions.recompute.url, functions.retention.url])
      .apply(([ingest, recompute, retention]) => ({ ingest, recompute, retention })),
    sinkWriterIdentity: sink.writerIdentity,
    firestoreDatabase: state.database.name,
  };
}

/** `NAME` or `projects/P/secrets/NAME` -> the secret's project and short name. */
export function parseSecretId(
  id: string | undefined,
  defaultProject: string,
): { projectId: string; secret: string } | undefined {
  if (!id) return undefined;
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(id);
  return m && m[1] && m[2]
    ? { projectId: m[1], secret: m[2] }
    : { projectId: defaultProject, secret: id };
}
