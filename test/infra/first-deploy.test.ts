/**
 * The order a first `pulumi up` creates things in (issue 11 item 7): what must be in effect
 * before something that needs it, as the dependency lists the SDK sends the engine. Each case
 * is a race a first deploy lost or could lose in the cloud, where a resource whose prerequisite
 * is missing fails (or, worse, works and loses data) rather than waiting.
 */
import type { Recorded } from './pulumi-mocks';
import { deployed, mockPipeline } from './mocked-pipeline';
import { one, ofType } from './pipeline-assertions';

// This file checks ordering, not bundles: one fixture bundle stands in for all three.
const { recorded, outputs } = mockPipeline({ 'gca-analytics:pseudonymKeySecret': 'gca-hmac' });

beforeAll(() => deployed(recorded, outputs));

const key = (r: Recorded): string => `${r.type}::${r.name}`;
const ALERT = 'gcp:monitoring/alertPolicy:AlertPolicy';
const FUNCTION = 'gcp:cloudfunctionsv2/function:Function';
const PROJECT_GRANT = 'gcp:projects/iAMMember:IAMMember';
const INVOKER = 'gcp:cloudrunv2/serviceIamMember:ServiceIamMember';

describe('the quarantine alert and its new log-based metric (terraform-provider-google#11102)', () => {
  it('creates the policy only after a wait that starts once the metric exists', () => {
    const metric = one(recorded, 'gcp:logging/metric:Metric');
    const wait = one(recorded, 'time:index/sleep:Sleep');
    expect(wait.dependsOn).toContain(key(metric));
    // Minutes, not seconds: Google documents up to 10 minutes, and the function builds run
    // in parallel with it.
    expect(Number(/^(\d+)s$/.exec(String(wait.inputs.createDuration))?.[1])).toBeGreaterThanOrEqual(
      180,
    );
    const policy = one(recorded, ALERT, 'alerting-quarantine');
    expect(policy.dependsOn).toContain(key(wait));
    expect(policy.dependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^gcp:cloudfunctionsv2\/function:Function::/)]),
    );
  });

  it('waits again when the metric is replaced, and only then', () => {
    const wait = one(recorded, 'time:index/sleep:Sleep');
    expect(wait.inputs.triggers).toEqual({
      metric: `${one(recorded, 'gcp:logging/metric:Metric').name}-id`,
    });
  });

  it('starts the metric early: its filter names the function, it does not wait for it', () => {
    const metric = one(recorded, 'gcp:logging/metric:Metric');
    expect(metric.dependsOn.filter((d) => d.startsWith(FUNCTION))).toEqual([]);
    expect(metric.inputs.filter).toContain('resource.labels.service_name="gca-ingest"');
  });

  it('reads only built-in metrics in every other policy, which need no wait', () => {
    for (const policy of ofType(recorded, ALERT).filter((p) => p.name !== 'alerting-quarantine')) {
      expect([policy.name, JSON.stringify(policy.inputs.conditions)]).not.toEqual([
        policy.name,
        expect.stringContaining('logging.googleapis.com/user/'),
      ]);
    }
  });
});

describe('functions', () => {
  it.each(['gca-ingest', 'gca-recompute', 'gca-retention'])(
    '%s builds only once the build identity holds its role (Cloud Build reads the source)',
    (name) => {
      const grant = one(recorded, PROJECT_GRANT, 'identities-build-run-builder');
      expect(grant.inputs.role).toBe('roles/run.builder');
      expect(one(recorded, FUNCTION, name).dependsOn).toContain(key(grant));
    },
  );

  it("deploys each function after its runtime identity's grants, datasets, database and secret", () => {
    const ingest = one(recorded, FUNCTION, 'gca-ingest');
    expect(ingest.dependsOn).toEqual(
      expect.arrayContaining([
        `${PROJECT_GRANT}::identities-ingest-datastore-user`,
        'gcp:firestore/database:Database::state-database',
        'gcp:bigquery/dataset:Dataset::datasets-gca_raw',
        'gcp:bigquery/iamMember:IamMember::datasets-gca_raw-requests-ingest-editor',
        'gcp:secretmanager/secretIamMember:SecretIamMember::pseudonym-key-ingest',
      ]),
    );
  });
});

describe('Pub/Sub delivery', () => {
  const push = (): Recorded =>
    one(recorded, 'gcp:pubsub/subscription:Subscription', 'gca-logs-ingest-push');

  it('pushes only once the push identity may invoke ingest and the agent may mint its token', () => {
    expect(push().dependsOn).toEqual(
      expect.arrayContaining([
        `${INVOKER}::gca-ingest-invoker`,
        'gcp:serviceaccount/iAMMember:IAMMember::gca-logs-ingest-push-agent-token-creator',
      ]),
    );
  });

  it('dead-letters only once the agent may publish to the dead-letter topic', () => {
    expect(push().dependsOn).toContain(
      'gcp:pubsub/topicIAMMember:TopicIAMMember::bus-dead-letter-publisher',
    );
  });

  it('lets the sink publish only once the push subscription exists (else messages are lost)', () => {
    const grant = one(
      recorded,
      'gcp:pubsub/topicIAMMember:TopicIAMMember',
      'log-sink-writer-publisher',
    );
    expect(grant.dependsOn).toEqual(
      expect.arrayContaining([
        key(push()),
        'gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember::gca-logs-ingest-push-agent-subscriber',
      ]),
    );
  });
});

describe('schedules', () => {
  it.each(['recompute', 'retention'])('calls %s only once its caller may invoke it', (target) => {
    const job = one(recorded, 'gcp:cloudscheduler/job:Job', `gca-${target}-schedule`);
    expect(job.dependsOn).toContain(`${INVOKER}::gca-${target}-invoker`);
  });
});
