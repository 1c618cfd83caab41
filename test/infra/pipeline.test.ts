/**
 * The whole program under Pulumi mocks, default scope (project sink), no CMEK, with analyst and
 * Looker principals: every security and wiring property of issue #5.
 */
import {
  BIGQUERY_AGENT,
  PROJECT,
  PUBSUB_AGENT,
  WRITER_IDENTITIES,
  functionUrl,
  saEmail,
  valueOf,
  type Recorded,
} from './pulumi-mocks';
import { deployed, mockPipeline } from './mocked-pipeline';
import { allStrings, destroyGuards, get, grantsByMember, ofType, one } from './pipeline-assertions';
import { REGISTRY } from '../../shared/tables/registry';
import { renderBigQuerySchema } from '../../shared/tables/render';

const ANALYSTS = ['group:analysts@acme.com', 'user:ana@acme.com'];
const LOOKER = 'serviceAccount:looker@acme-bi.iam.gserviceaccount.com';

// The real function entries, bundled once for this file.
const { recorded, config, artifacts, outputs } = mockPipeline(
  {
    'gca-analytics:analystPrincipals': JSON.stringify(ANALYSTS),
    'gca-analytics:lookerPrincipals': LOOKER,
  },
  { artifacts: 'real' },
);

beforeAll(() => deployed(recorded, outputs));

const sa = (id: string): string => `serviceAccount:${saEmail(id)}`;

describe('log sink', () => {
  it('exports only Gemini entries to the topic, with its own writer identity', () => {
    const sink = one(recorded, 'gcp:logging/projectSink:ProjectSink');
    expect(sink.inputs.filter).toBe('resource.type="cloudaicompanion.googleapis.com/Instance"');
    expect(sink.inputs.destination).toBe(
      `pubsub.googleapis.com/projects/${PROJECT}/topics/gca-logs`,
    );
    expect(sink.inputs.uniqueWriterIdentity).toBe(true);
    expect(ofType(recorded, 'gcp:logging/folderSink:FolderSink')).toHaveLength(0);
  });

  it('grants its writer identity publish on the topic and nothing else', () => {
    const writer = WRITER_IDENTITIES['gcp:logging/projectSink:ProjectSink'] as string;
    expect(grantsByMember(recorded).get(writer)).toEqual([
      'roles/pubsub.publisher on topic gca-logs',
    ]);
  });

  it("drops ingest's successful request logs from the project's _Default sink, never errors", () => {
    const exclusion = one(recorded, 'gcp:logging/projectExclusion:ProjectExclusion');
    expect(exclusion.inputs).toMatchObject({ project: PROJECT, name: 'gca-ingest-requests' });
    expect(String(exclusion.inputs.filter).split('\n')).toEqual([
      'resource.type="cloud_run_revision"',
      'resource.labels.service_name="gca-ingest"',
      'log_id("run.googleapis.com/requests")',
      'httpRequest.status<400',
    ]);
  });

  it('exports the writer identity', async () => {
    expect(await valueOf(outputs.sinkWriterIdentity)).toBe(
      WRITER_IDENTITIES['gcp:logging/projectSink:ProjectSink'],
    );
  });
});

describe('Pub/Sub delivery', () => {
  const push = (): Recorded =>
    one(recorded, 'gcp:pubsub/subscription:Subscription', 'gca-logs-ingest-push');

  it('pushes to the ingest URL with an OIDC token of the push identity', () => {
    const s = push();
    expect(s.inputs.topic).toBe(`projects/${PROJECT}/topics/gca-logs`);
    expect(get(s.inputs, 'pushConfig', 'pushEndpoint')).toBe(functionUrl('gca-ingest'));
    expect(get(s.inputs, 'pushConfig', 'oidcToken')).toEqual({
      serviceAccountEmail: saEmail('gca-ingest-push'),
      audience: functionUrl('gca-ingest'),
    });
  });

  it('retries with exponential backoff and dead-letters after maxDeliveryAttempts', () => {
    const s = push();
    expect(s.inputs.retryPolicy).toEqual({ minimumBackoff: '10s', maximumBackoff: '600s' });
    expect(s.inputs.deadLetterPolicy).toEqual({
      deadLetterTopic: `projects/${PROJECT}/topics/gca-logs-dead-letter`,
      maxDeliveryAttempts: 15,
    });
    expect(Number(s.inputs.ackDeadlineSeconds)).toBeGreaterThan(60);
  });

  it('keeps a message through 80 minutes of 429s before it dead-letters', () => {
    // Pub/Sub's backoff about doubles from the minimum up to the maximum between attempts.
    const s = push();
    const seconds = (d: unknown): number => Number(String(d).replace(/s$/, ''));
    let wait = seconds(get(s.inputs, 'retryPolicy', 'minimumBackoff'));
    let total = 0;
    const attempts = Number(get(s.inputs, 'deadLetterPolicy', 'maxDeliveryAttempts'));
    for (let i = 1; i < attempts; i += 1) {
      total += wait;
      wait = Math.min(wait * 2, seconds(get(s.inputs, 'retryPolicy', 'maximumBackoff')));
    }
    expect(total).toBeGreaterThanOrEqual(80 * 60);
  });

  it('keeps dead-lettered messages 3 days in a pull subscription (they are unscrubbed)', () => {
    const dlq = one(recorded, 'gcp:pubsub/subscription:Subscription', 'bus-dead-letter-pull');
    expect(dlq.inputs.name).toBe('gca-logs-dead-letter-pull');
    expect(dlq.inputs.topic).toBe(`projects/${PROJECT}/topics/gca-logs-dead-letter`);
    expect(dlq.inputs.messageRetentionDuration).toBe(`${3 * 86_400}s`);
    expect(dlq.inputs.pushConfig).toBeUndefined();
  });

  it("stores messages only in the functions' region by default", () => {
    const topics = ofType(recorded, 'gcp:pubsub/topic:Topic');
    expect(topics).toHaveLength(2);
    for (const t of topics) {
      expect(t.inputs.messageStoragePolicy).toEqual({
        allowedPersistenceRegions: ['europe-west1'],
      });
    }
  });

  it('gives the Pub/Sub service agent exactly what dead-lettering and OIDC need', () => {
    expect(grantsByMember(recorded).get(PUBSUB_AGENT)).toEqual(
      [
        'roles/pubsub.publisher on topic gca-logs-dead-letter',
        'roles/pubsub.subscriber on subscription gca-logs-ingest-push',
        `roles/iam.serviceAccountTokenCreator on serviceAccount projects/${PROJECT}/serviceAccounts/${saEmail('gca-ingest-push')}`,
      ].sort(),
    );
  });

  it('creates exactly the two subscriptions (no trigger-managed one without a dead-letter topic)', () => {
    expect(
      ofType(recorded, 'gcp:pubsub/subscription:Subscription')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['bus-dead-letter-pull', 'gca-logs-ingest-push']);
    for (const fn of ofType(recorded, 'gcp:cloudfunctionsv2/function:Function')) {
      expect(fn.inputs.eventTrigger).toBeUndefined();
    }
  });
});

describe('functions', () => {
  const fns = (): Recorded[] => ofType(recorded, 'gcp:cloudfunctionsv2/function:Function');

  // The defaults; pipeline-folder-cmek checks configured sizes the same way (alike by shape only).
  it('gives ingest a whole vCPU, 80 concurrent requests and 10 instances at most', () => {
    const ingest = one(recorded, 'gcp:cloudfunctionsv2/function:Function', 'gca-ingest');
    expect(get(ingest.inputs, 'serviceConfig')).toMatchObject({
      availableCpu: '1',
      maxInstanceRequestConcurrency: 80,
      maxInstanceCount: 10,
      availableMemory: '512Mi',
    });
    // The scheduled functions keep one request at a time and one instance.
    for (const name of ['gca-recompute', 'gca-retention']) {
      const fn = one(recorded, 'gcp:cloudfunctionsv2/function:Function', name);
      expect(get(fn.inputs, 'serviceConfig', 'maxInstanceRequestConcurrency')).toBeUndefined();
      expect(get(fn.inputs, 'serviceConfig', 'maxInstanceCount')).toBe(1);
    }
  });

  it('deploys the three targets, internal ingress, each with its own identity', () => {
    expect(
      fns()
        .map((f) => f.inputs.name)
        .sort(),
    ).toEqual(['gca-ingest', 'gca-recompute', 'gca-retention']);
    for (const f of fns()) {
      const target = String(f.inputs.name).replace('gca-', '');
      expect(get(f.inputs, 'serviceConfig', 'ingressSettings')).toBe('ALLOW_INTERNAL_ONLY');
      expect(get(f.inputs, 'serviceConfig', 'serviceAccountEmail')).toBe(saEmail(`gca-${target}`));
      expect(get(f.inputs, 'buildConfig', 'entryPoint')).toBe(target);
      expect(get(f.inputs, 'buildConfig', 'runtime')).toBe('nodejs20');
    }
  });

  it('deploys the hash-named bundle of each function, so a code change redeploys', () => {
    for (const target of ['ingest', 'recompute', 'retention'] as const) {
      const object = one(recorded, 'gcp:storage/bucketObject:BucketObject', `gca-${target}-source`);
      expect(object.inputs.name).toBe(`functions/${target}-${artifacts[target].hash}.zip`);
      const fn = one(recorded, 'gcp:cloudfunctionsv2/function:Function', `gca-${target}`);
      expect(get(fn.inputs, 'buildConfig', 'source', 'storageSource', 'object')).toBe(
        object.inputs.name,
      );
    }
    expect(new Set(Object.values(artifacts).map((a) => a.hash)).size).toBe(3);
  });

  it('tells the functions where everything is', () => {
    const env = get(
      one(recorded, 'gcp:cloudfunctionsv2/function:Function', 'gca-ingest').inputs,
      'serviceConfig',
      'environmentVariables',
    );
    expect(env).toEqual({
      GCA_WAREHOUSE: 'bigquery',
      GCA_STATE: 'firestore',
      GOOGLE_CLOUD_PROJECT: PROJECT,
      GCA_RAW_DATASET: 'gca_raw',
      GCA_ANALYTICS_DATASET: 'gca_analytics',
      GCA_BQ_LOCATION: 'europe-west1',
      GCA_FIRESTORE_DATABASE: 'gca-analytics',
      GCA_CONTENT_MODE: 'scrubbed',
      GCA_CONTENT_DAYS: '30',
      GCA_EVENT_DAYS: '400',
      GCA_QUARANTINE_DAYS: '30',
    });
  });

  it('lets exactly one identity invoke each function, through its Cloud Run service', () => {
    const invokers = ofType(recorded, 'gcp:cloudrunv2/serviceIamMember:ServiceIamMember').map(
      (r) => [r.inputs.name, r.inputs.role, r.inputs.member],
    );
    expect(invokers.sort()).toEqual([
      ['gca-ingest', 'roles/run.invoker', sa('gca-ingest-push')],
      ['gca-recompute', 'roles/run.invoker', sa('gca-recompute-scheduler')],
      ['gca-retention', 'roles/run.invoker', sa('gca-retention-scheduler')],
    ]);
    expect(
      recorded.filter((r) => r.type.startsWith('gcp:cloudfunctionsv2/functionIam')),
    ).toHaveLength(0);
  });

  it('exports the function URLs', async () => {
    expect(await valueOf(outputs.functionUrls)).toEqual({
      ingest: functionUrl('gca-ingest'),
      recompute: functionUrl('gca-recompute'),
      retention: functionUrl('gca-retention'),
    });
  });
});

describe('schedules', () => {
  it.each([
    ['recompute', '15 * * * *'],
    ['retention', '30 3 * * *'],
  ])('calls %s on schedule with an OIDC token of its own identity', (target, schedule) => {
    const job = one(recorded, 'gcp:cloudscheduler/job:Job', `gca-${target}-schedule`);
    expect(job.inputs.schedule).toBe(schedule);
    expect(job.inputs.timeZone).toBe('Etc/UTC');
    expect(get(job.inputs, 'httpTarget', 'uri')).toBe(functionUrl(`gca-${target}`));
    expect(get(job.inputs, 'httpTarget', 'httpMethod')).toBe('POST');
    expect(get(job.inputs, 'httpTarget', 'oidcToken')).toEqual({
      serviceAccountEmail: saEmail(`gca-${target}-scheduler`),
      audience: functionUrl(`gca-${target}`),
    });
    expect(get(job.inputs, 'httpTarget', 'oauthToken')).toBeUndefined();
  });
});

describe('BigQuery', () => {
  const tables = (): Recorded[] => ofType(recorded, 'gcp:bigquery/table:Table');

  it('creates every registry table with day partitioning, clustering and deletion protection', () => {
    const defs = REGISTRY;
    expect(defs.length).toBeGreaterThan(0);
    for (const def of defs) {
      const t = one(recorded, 'gcp:bigquery/table:Table', `datasets-${def.dataset}-${def.name}`);
      expect(t.inputs.datasetId).toBe(def.dataset);
      expect(t.inputs.tableId).toBe(def.name);
      expect(t.inputs.deletionProtection).toBe(true);
      expect(t.inputs.timePartitioning).toEqual({ type: 'DAY', field: def.partitionBy });
      if (def.clusterBy) expect(t.inputs.clusterings).toEqual([...def.clusterBy]);
      expect(JSON.parse(String(t.inputs.schema))).toEqual(renderBigQuerySchema(def));
    }
    expect(tables()).toHaveLength(REGISTRY.length);
  });

  it('creates interactions and daily_active_users as partitioned tables, and authorizes no view on gca_raw', () => {
    // They were views over gca_raw (authorized on it); recompute now maintains them as tables.
    for (const name of ['interactions', 'daily_active_users']) {
      const t = one(recorded, 'gcp:bigquery/table:Table', `datasets-gca_analytics-${name}`);
      expect(t.inputs.view).toBeUndefined();
      expect(t.inputs.timePartitioning).toEqual({ type: 'DAY', field: 'day' });
    }
    expect(
      ofType(recorded, 'gcp:bigquery/datasetAccess:DatasetAccess').filter((a) => a.inputs.view),
    ).toEqual([]);
  });

  it('restricts both datasets to project owners plus explicit entries', () => {
    for (const id of ['gca_raw', 'gca_analytics']) {
      const ds = one(recorded, 'gcp:bigquery/dataset:Dataset', `datasets-${id}`);
      expect(ds.inputs.datasetId).toBe(id);
      expect(ds.inputs.accesses).toEqual([{ role: 'OWNER', specialGroup: 'projectOwners' }]);
      expect(ds.inputs.location).toBe('europe-west1');
      expect(ds.inputs.deleteContentsOnDestroy).toBe(false);
    }
    // Dataset IAM resources would rewrite the access list and drop entries made outside Pulumi.
    expect(recorded.filter((r) => /bigquery\/datasetIam/.test(r.type))).toHaveLength(0);
  });

  it("leaves storage billing and time travel to BigQuery's defaults unless configured", () => {
    // An upgraded stack changes nothing (BigQuery allows one change of billing model every 14 days).
    for (const id of ['gca_raw', 'gca_analytics']) {
      const ds = one(recorded, 'gcp:bigquery/dataset:Dataset', `datasets-${id}`);
      expect(ds.inputs.storageBillingModel).toBeUndefined();
      expect(ds.inputs.maxTimeTravelHours).toBeUndefined();
    }
  });

  it('lets analysts and Looker read gca_analytics, never gca_raw', () => {
    const grants = grantsByMember(recorded);
    for (const who of [...ANALYSTS, LOOKER]) {
      expect(grants.get(who)).toEqual(
        [`READER on dataset gca_analytics`, `roles/bigquery.jobUser on project ${PROJECT}`].sort(),
      );
    }
  });

  it('exports the dataset ids', async () => {
    expect(await valueOf(outputs.rawDatasetId)).toBe('gca_raw');
    expect(await valueOf(outputs.analyticsDatasetId)).toBe('gca_analytics');
  });
});

describe('least privilege', () => {
  it('grants each service account exactly its roles', () => {
    const grants = grantsByMember(recorded);
    const rawTables = ['metadata_events', 'quarantine', 'requests', 'responses'];
    const expected: Record<string, string[]> = {
      'gca-ingest': [
        ...rawTables.map((t) => `roles/bigquery.dataEditor on table gca_raw.${t}`),
        `roles/datastore.user on project ${PROJECT}`,
      ],
      'gca-recompute': [
        'READER on dataset gca_raw',
        'WRITER on dataset gca_analytics',
        `roles/bigquery.jobUser on project ${PROJECT}`,
        `roles/datastore.user on project ${PROJECT}`,
      ],
      'gca-retention': [
        'WRITER on dataset gca_raw',
        'WRITER on dataset gca_analytics',
        `roles/bigquery.jobUser on project ${PROJECT}`,
        `roles/datastore.user on project ${PROJECT}`,
      ],
      'gca-ingest-push': ['roles/run.invoker on service gca-ingest'],
      'gca-recompute-scheduler': ['roles/run.invoker on service gca-recompute'],
      'gca-retention-scheduler': ['roles/run.invoker on service gca-retention'],
      'gca-functions-build': [`roles/run.builder on project ${PROJECT}`],
    };
    for (const [id, roles] of Object.entries(expected)) {
      expect([id, grants.get(sa(id))]).toEqual([id, [...roles].sort()]);
    }
    const accounts = ofType(recorded, 'gcp:serviceaccount/account:Account').map(
      (a) => a.inputs.accountId,
    );
    expect(accounts.sort()).toEqual(Object.keys(expected).sort());
  });

  it('grants no primitive role, and nothing to the public, anywhere', () => {
    const roles = recorded.flatMap((r) => allStrings(r.inputs.role));
    expect(roles.length).toBeGreaterThan(20);
    for (const role of roles) {
      expect(['roles/owner', 'roles/editor', 'roles/viewer', 'OWNER']).not.toContain(role);
    }
    const everything = recorded.flatMap((r) => allStrings(r.inputs));
    expect(everything.filter((s) => /allUsers|allAuthenticatedUsers/.test(s))).toEqual([]);
  });

  it('only grants to known identities (no stray member)', () => {
    const known = new Set([
      ...[
        'gca-ingest',
        'gca-recompute',
        'gca-retention',
        'gca-ingest-push',
        'gca-recompute-scheduler',
        'gca-retention-scheduler',
        'gca-functions-build',
      ].map(sa),
      PUBSUB_AGENT,
      WRITER_IDENTITIES['gcp:logging/projectSink:ProjectSink'],
      ...ANALYSTS,
      LOOKER,
    ]);
    expect([...grantsByMember(recorded).keys()].filter((m) => !known.has(m))).toEqual([]);
  });
});

describe('encryption', () => {
  it('uses Google-managed keys when no KMS key is configured', () => {
    for (const ds of ofType(recorded, 'gcp:bigquery/dataset:Dataset')) {
      expect(ds.inputs.defaultEncryptionConfiguration).toBeUndefined();
    }
    for (const t of ofType(recorded, 'gcp:pubsub/topic:Topic')) {
      expect(t.inputs.kmsKeyName).toBeUndefined();
    }
    expect(ofType(recorded, 'gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember')).toHaveLength(0);
    expect(grantsByMember(recorded).has(BIGQUERY_AGENT)).toBe(false);
  });
});

describe('state, APIs and alerting', () => {
  it('creates the Firestore database, protected from deletion', () => {
    const db = one(recorded, 'gcp:firestore/database:Database');
    expect(db.inputs).toMatchObject({
      name: 'gca-analytics',
      type: 'FIRESTORE_NATIVE',
      locationId: 'europe-west1',
      deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
      // Not ABANDON (the provider's default): a destroy must fail on the protection, not leave
      // the database running outside the stack.
      deletionPolicy: 'DELETE',
    });
  });

  it('protects every table, view, dataset and the database by default, and nothing else', () => {
    expect(config.deletionProtection).toBe(true);
    const expected = new Map<string, string[]>([
      ...REGISTRY.map((t): [string, string[]] => [
        `datasets-${t.dataset}-${t.name}`,
        ['deletionProtection'],
      ]),
      ['datasets-gca_raw', ['deleteContentsOnDestroy']],
      ['datasets-gca_analytics', ['deleteContentsOnDestroy']],
      ['state-database', ['deleteProtectionState']],
    ]);
    expect(destroyGuards(recorded)).toEqual(expected);
  });

  it('enables the APIs the pipeline uses, without disabling them on destroy', () => {
    const apis = ofType(recorded, 'gcp:projects/service:Service');
    expect(apis.map((a) => a.inputs.service)).toEqual(
      expect.arrayContaining([
        'logging.googleapis.com',
        'pubsub.googleapis.com',
        'cloudfunctions.googleapis.com',
        'run.googleapis.com',
        'cloudbuild.googleapis.com',
        'cloudscheduler.googleapis.com',
        'firestore.googleapis.com',
        'bigquery.googleapis.com',
        'monitoring.googleapis.com',
      ]),
    );
    for (const api of apis) expect(api.inputs.disableOnDestroy).toBe(false);
  });

  const policy = (name: string): Recorded =>
    one(recorded, 'gcp:monitoring/alertPolicy:AlertPolicy', `alerting-${name}`);
  const condition = (name: string, i = 0): unknown =>
    (policy(name).inputs.conditions as unknown[])[i];

  it('has the five alerts an operator needs, each its own policy', () => {
    expect(
      ofType(recorded, 'gcp:monitoring/alertPolicy:AlertPolicy')
        .map((p) => p.name)
        .sort(),
    ).toEqual(
      ['backlog', 'dead-letters', 'function-errors', 'no-data', 'quarantine'].map(
        (n) => `alerting-${n}`,
      ),
    );
  });

  it('alerts when the oldest message on the push subscription waits over 15 minutes', () => {
    const c = condition('backlog');
    expect(get(c, 'conditionThreshold', 'filter')).toBe(
      'resource.type="pubsub_subscription" AND resource.labels.subscription_id="gca-logs-ingest-push" AND metric.type="pubsub.googleapis.com/subscription/oldest_unacked_message_age"',
    );
    expect(get(c, 'conditionThreshold', 'comparison')).toBe('COMPARISON_GT');
    expect(get(c, 'conditionThreshold', 'thresholdValue')).toBe(900);
  });

  it('alerts when ingest answered nothing for an hour in working hours, Monday to Friday', () => {
    const query = String(get(condition('no-data'), 'conditionPrometheusQueryLanguage', 'query'));
    expect(query).toBe(
      'absent_over_time(run_googleapis_com:request_count{monitored_resource="cloud_run_revision",service_name="gca-ingest",response_code_class="2xx"}[60m])' +
        ' and on() (day_of_week() >= 1 <= 5)' +
        ' and on() (hour() * 60 + minute() >= 540)' +
        ' and on() (hour() < 18)',
    );
  });

  it('alerts on dead-lettered messages', () => {
    const c = condition('dead-letters');
    expect(String(get(c, 'conditionThreshold', 'filter'))).toContain(
      'pubsub.googleapis.com/subscription/num_undelivered_messages',
    );
    expect(String(get(c, 'conditionThreshold', 'filter'))).toContain(
      'subscription_id="gca-logs-dead-letter-pull"',
    );
    expect(get(c, 'conditionThreshold', 'thresholdValue')).toBe(0);
  });

  it('alerts on quarantine, counted from the ingest summary lines', () => {
    const metric = one(recorded, 'gcp:logging/metric:Metric');
    expect(metric.inputs.name).toBe('gca_ingest_quarantined');
    expect(metric.inputs.filter).toContain('jsonPayload.component="ingest"');
    expect(metric.inputs.filter).toContain('jsonPayload.counts.quarantined>0');
    expect(metric.inputs.filter).toContain('resource.labels.service_name="gca-ingest"');
    const c = condition('quarantine');
    expect(get(c, 'conditionThreshold', 'filter')).toContain(
      'logging.googleapis.com/user/gca_ingest_quarantined',
    );
    expect(get(c, 'conditionThreshold', 'thresholdValue')).toBe(0);
  });

  it('alerts on many ingest 5xx, and on any failed scheduled run', () => {
    const [ingest, scheduled] = [condition('function-errors', 0), condition('function-errors', 1)];
    expect(String(get(ingest, 'conditionThreshold', 'filter'))).toContain(
      'resource.labels.service_name="gca-ingest" AND metric.type="run.googleapis.com/request_count" AND metric.labels.response_code_class="5xx"',
    );
    expect(get(ingest, 'conditionThreshold', 'thresholdValue')).toBe(50);
    expect(String(get(scheduled, 'conditionThreshold', 'filter'))).toContain(
      'resource.labels.service_name=one_of("gca-recompute", "gca-retention")',
    );
    expect(get(scheduled, 'conditionThreshold', 'thresholdValue')).toBe(0);
  });
});
