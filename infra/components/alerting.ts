import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export interface AlertingArgs {
  project: string;
  /** Cloud Run service name of the ingest function (= the function name). */
  ingestServiceName: pulumi.Input<string>;
  /** Short name of the dead-letter pull subscription. */
  deadLetterSubscriptionName: pulumi.Input<string>;
  /** Alert when more than this many ingest invocations quarantined entries in 5 minutes. */
  quarantineThreshold: number;
  notificationChannels: readonly string[];
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const QUARANTINE_METRIC = 'gca_ingest_quarantined';

/**
 * One alert policy, two conditions: the dead-letter subscription holds messages (entries not in
 * BigQuery until replayed), or ingest quarantined entries (entries the figures do not include).
 * Quarantine comes from the ingest function's one JSON summary line per invocation
 * (`jsonPayload.component = "ingest"`, `jsonPayload.counts.quarantined`), counted by a
 * log-based metric.
 */
export class Alerting extends pulumi.ComponentResource {
  readonly policy: gcp.monitoring.AlertPolicy;
  readonly quarantineMetric: gcp.logging.Metric;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:Alerting', name, {}, opts);
    this.quarantineMetric = new gcp.logging.Metric(
      QUARANTINE_METRIC,
      {
        project: args.project,
        name: QUARANTINE_METRIC,
        description: 'Ingest invocations of gca-analytics that quarantined at least one entry.',
        filter: pulumi.interpolate`resource.type="cloud_run_revision" AND resource.labels.service_name="${args.ingestServiceName}" AND jsonPayload.component="ingest" AND jsonPayload.counts.quarantined>0`,
        // A counter of summary lines that quarantined anything: a plain number an alert can
        // compare (a distribution of the counts could not be thresholded directly).
        metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.policy = new gcp.monitoring.AlertPolicy(
      name,
      {
        project: args.project,
        displayName: 'gca-analytics: dead-lettered or quarantined log entries',
        combiner: 'OR',
        severity: 'WARNING',
        notificationChannels: [...args.notificationChannels],
        documentation: {
          mimeType: 'text/markdown',
          content:
            'Dead-lettered messages are in the `gca-logs-dead-letter-pull` subscription: fix the ' +
            'cause, then replay them to `gca-logs`. Quarantined entries are rows in ' +
            '`gca_raw.quarantine` with a reason code. See docs/deploy.md.',
        },
        conditions: [
          {
            displayName: 'Dead-letter subscription holds messages',
            conditionThreshold: {
              filter: pulumi.interpolate`resource.type="pubsub_subscription" AND resource.labels.subscription_id="${args.deadLetterSubscriptionName}" AND metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages"`,
              comparison: 'COMPARISON_GT',
              thresholdValue: 0,
              duration: '0s',
              aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_MAX' }],
              trigger: { count: 1 },
            },
          },
          {
            displayName: 'Ingest quarantined entries',
            conditionThreshold: {
              filter: pulumi.interpolate`resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/${this.quarantineMetric.name}"`,
              comparison: 'COMPARISON_GT',
              thresholdValue: args.quarantineThreshold,
              duration: '0s',
              aggregations: [
                {
                  alignmentPeriod: '300s',
                  // Invocations with quarantined entries in each 5-minute window.
                  perSeriesAligner: 'ALIGN_SUM',
                  crossSeriesReducer: 'REDUCE_SUM',
                },
              ],
              trigger: { count: 1 },
            },
          },
        ],
        alertStrategy: { autoClose: '86400s' },
      },
      { parent: this, dependsOn: [this.quarantineMetric] },
    );
    this.registerOutputs({ policy: this.policy.name });
  }
}
