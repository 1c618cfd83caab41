/**
 * The program under mocks with a folder sink, a customer-managed key, a pseudonymization secret
 * and non-default settings: folder scope with child projects, CMEK on datasets and topics, the
 * key grants, the secret grants, and the settings reaching their resources.
 */
import {
  BIGQUERY_AGENT,
  PROJECT,
  PUBSUB_AGENT,
  WRITER_IDENTITIES,
  saEmail,
  valueOf,
} from './pulumi-mocks';
import { deployed, mockPipeline } from './mocked-pipeline';
import { get, grantsByMember, ofType, one } from './pipeline-assertions';

const KEY = 'projects/acme-kms/locations/europe-west1/keyRings/gca/cryptoKeys/gca-data';
// This file checks wiring, not bundles: one small fixture bundle stands in for all three.
const { recorded, outputs } = mockPipeline({
  'gca-analytics:sinkScope': 'folder',
  'gca-analytics:sinkParentId': '246813579',
  'gca-analytics:kmsKeyName': KEY,
  'gca-analytics:datasetLocation': 'EU',
  'gca-analytics:contentMode': 'metadata-only',
  'gca-analytics:maxDeliveryAttempts': '25',
  'gca-analytics:recomputeSchedule': '*/30 * * * *',
  'gca-analytics:pseudonymKeySecret': 'projects/acme-secrets/secrets/gca-hmac',
  'gca-analytics:alertNotificationChannels': `projects/${PROJECT}/notificationChannels/77`,
  'gca-analytics:quarantineAlertThreshold': '5',
  'gca-analytics:ingestErrorAlertThreshold': '7',
  'gca-analytics:backlogAlertMinutes': '30',
  'gca-analytics:noDataAlertMinutes': '90',
  'gca-analytics:workingHoursUtc': '7-19',
  'gca-analytics:ingestCpu': '2',
  'gca-analytics:ingestConcurrency': '160',
  'gca-analytics:ingestMaxInstances': '40',
  'gca-analytics:deadLetterRetentionDays': '1',
  'gca-analytics:allowedPersistenceRegions': 'europe-west1,europe-west4',
  'gca-analytics:rawStorageBillingModel': 'PHYSICAL',
  'gca-analytics:rawTimeTravelHours': '48',
});

beforeAll(() => deployed(recorded, outputs));

describe('folder sink', () => {
  // As index.test's organization sink, for the folder scope: alike by shape only.
  it('routes Gemini entries of the folder and its child projects', () => {
    const sink = one(recorded, 'gcp:logging/folderSink:FolderSink');
    expect(sink.inputs).toMatchObject({
      folder: '246813579',
      includeChildren: true,
      filter: 'resource.type="cloudaicompanion.googleapis.com/Instance"',
      destination: `pubsub.googleapis.com/projects/${PROJECT}/topics/gca-logs`,
    });
    expect(ofType(recorded, 'gcp:logging/projectSink:ProjectSink')).toHaveLength(0);
  });

  it('grants the folder sink writer identity publish on the topic only', async () => {
    const writer = WRITER_IDENTITIES['gcp:logging/folderSink:FolderSink'] as string;
    expect(grantsByMember(recorded).get(writer)).toEqual([
      'roles/pubsub.publisher on topic gca-logs',
    ]);
    expect(await valueOf(outputs.sinkWriterIdentity)).toBe(writer);
  });
});

describe('CMEK', () => {
  it('encrypts both datasets with the key', () => {
    for (const id of ['gca_raw', 'gca_analytics']) {
      const ds = one(recorded, 'gcp:bigquery/dataset:Dataset', `datasets-${id}`);
      expect(ds.inputs.defaultEncryptionConfiguration).toEqual({ kmsKeyName: KEY });
      expect(ds.inputs.location).toBe('EU');
    }
  });

  it('bills gca_raw on physical bytes with two days of time travel, gca_analytics as before', () => {
    const raw = one(recorded, 'gcp:bigquery/dataset:Dataset', 'datasets-gca_raw');
    expect(raw.inputs).toMatchObject({ storageBillingModel: 'PHYSICAL', maxTimeTravelHours: '48' });
    const analytics = one(recorded, 'gcp:bigquery/dataset:Dataset', 'datasets-gca_analytics');
    expect(analytics.inputs.storageBillingModel).toBeUndefined();
  });

  it('encrypts both topics with the key', () => {
    const topics = ofType(recorded, 'gcp:pubsub/topic:Topic');
    expect(topics.map((t) => t.inputs.name).sort()).toEqual(['gca-logs', 'gca-logs-dead-letter']);
    for (const t of topics) expect(t.inputs.kmsKeyName).toBe(KEY);
  });

  it('lets only the BigQuery and Pub/Sub service agents use the key', () => {
    const uses = ofType(recorded, 'gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember').map((g) => [
      g.inputs.member,
      g.inputs.role,
      g.inputs.cryptoKeyId,
    ]);
    expect(uses.sort()).toEqual(
      [
        [BIGQUERY_AGENT, 'roles/cloudkms.cryptoKeyEncrypterDecrypter', KEY],
        [PUBSUB_AGENT, 'roles/cloudkms.cryptoKeyEncrypterDecrypter', KEY],
      ].sort(),
    );
  });
});

describe('settings reach their resources', () => {
  it('dead-letters after the configured attempts', () => {
    const push = one(recorded, 'gcp:pubsub/subscription:Subscription', 'gca-logs-ingest-push');
    expect(get(push.inputs, 'deadLetterPolicy', 'maxDeliveryAttempts')).toBe(25);
  });

  it('schedules recompute as configured', () => {
    const job = one(recorded, 'gcp:cloudscheduler/job:Job', 'gca-recompute-schedule');
    expect(job.inputs.schedule).toBe('*/30 * * * *');
  });

  it('passes the content mode and the pseudonymization secret to the functions that use it', () => {
    for (const fn of ofType(recorded, 'gcp:cloudfunctionsv2/function:Function')) {
      expect(get(fn.inputs, 'serviceConfig', 'environmentVariables', 'GCA_CONTENT_MODE')).toBe(
        'metadata-only',
      );
      expect(get(fn.inputs, 'serviceConfig', 'environmentVariables', 'GCA_BQ_LOCATION')).toBe('EU');
      const secrets = get(fn.inputs, 'serviceConfig', 'secretEnvironmentVariables');
      if (fn.inputs.name === 'gca-recompute') {
        expect(secrets).toEqual([]);
      } else {
        expect(secrets).toEqual([
          {
            key: 'GCA_PSEUDONYMIZE_KEY',
            projectId: 'acme-secrets',
            secret: 'gca-hmac',
            version: 'latest',
          },
        ]);
      }
    }
    const grants = grantsByMember(recorded);
    for (const id of ['gca-ingest', 'gca-retention']) {
      expect(grants.get(`serviceAccount:${saEmail(id)}`)).toContain(
        'roles/secretmanager.secretAccessor on secret gca-hmac',
      );
    }
    expect(grants.get(`serviceAccount:${saEmail('gca-recompute')}`)?.join()).not.toContain(
      'secret',
    );
  });

  it('sends every alert to the configured channels, with the configured thresholds', () => {
    const policies = ofType(recorded, 'gcp:monitoring/alertPolicy:AlertPolicy');
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect([policy.name, policy.inputs.notificationChannels]).toEqual([
        policy.name,
        [`projects/${PROJECT}/notificationChannels/77`],
      ]);
    }
    const thresholds = (name: string): unknown[] =>
      (
        one(recorded, 'gcp:monitoring/alertPolicy:AlertPolicy', name).inputs.conditions as unknown[]
      ).map((c) => get(c, 'conditionThreshold', 'thresholdValue'));
    expect(thresholds('alerting-quarantine')).toEqual([5]);
    expect(thresholds('alerting-function-errors')).toEqual([7, 0]);
    expect(thresholds('alerting-backlog')).toEqual([30 * 60]);
    const noData = one(recorded, 'gcp:monitoring/alertPolicy:AlertPolicy', 'alerting-no-data');
    const query = String(
      get((noData.inputs.conditions as unknown[])[0], 'conditionPrometheusQueryLanguage', 'query'),
    );
    expect(query).toContain('[90m])');
    // From 07:00 + 90 minutes until 19:00 UTC.
    expect(query).toContain('hour() * 60 + minute() >= 510');
    expect(query).toContain('hour() < 19');
  });

  // The configured sizes; pipeline.test checks the defaults the same way (alike by shape only).
  it('sizes ingest as configured', () => {
    const ingest = one(recorded, 'gcp:cloudfunctionsv2/function:Function', 'gca-ingest');
    expect(get(ingest.inputs, 'serviceConfig')).toMatchObject({
      availableCpu: '2',
      maxInstanceRequestConcurrency: 160,
      maxInstanceCount: 40,
    });
  });

  it('keeps dead letters as long as configured, and messages in the allowed regions', () => {
    const dlq = one(recorded, 'gcp:pubsub/subscription:Subscription', 'bus-dead-letter-pull');
    expect(dlq.inputs.messageRetentionDuration).toBe('86400s');
    for (const topic of ofType(recorded, 'gcp:pubsub/topic:Topic')) {
      expect(topic.inputs.messageStoragePolicy).toEqual({
        allowedPersistenceRegions: ['europe-west1', 'europe-west4'],
      });
    }
  });

  it('still grants no primitive role', () => {
    const roles = recorded.map((r) => r.inputs.role).filter((r) => r !== undefined);
    expect(
      roles.filter((r) => ['roles/owner', 'roles/editor', 'roles/viewer'].includes(String(r))),
    ).toEqual([]);
  });
});
