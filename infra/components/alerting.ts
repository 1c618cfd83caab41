import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import * as time from '@pulumiverse/time';
import { formerName } from './aliases';

export interface AlertingArgs {
  project: string;
  /** Alert policy display names start with this (infra/naming.ts `alertTitle`). */
  title: string;
  /** Name of the log-based metric counting ingest flushes (summary lines) that quarantined entries. */
  quarantineMetricName: string;
  /** Cloud Run service names (= function names) of ingest and of the two scheduled functions. */
  ingestServiceName: string;
  scheduledServiceNames: readonly string[];
  /** Short names of the push subscription and of the dead-letter pull subscription. */
  pushSubscriptionName: string;
  deadLetterSubscriptionName: string;
  /** Alert when the oldest unacked message on the push subscription is older than this. */
  backlogAlertMinutes: number;
  /** Alert when ingest answered no 2xx for this long, inside working hours. */
  noDataAlertMinutes: number;
  /** Working hours, UTC, Monday to Friday: `[start, end)` in whole hours. */
  workingHoursUtc: { start: number; end: number };
  /** Alert when more than this many ingest flushes quarantined entries in 5 minutes. */
  quarantineThreshold: number;
  /** Alert when ingest answered more than this many 5xx in 5 minutes. */
  ingestErrorThreshold: number;
  notificationChannels: readonly string[];
  /**
   * How long to wait after creating the log-based metric before creating the alert that reads
   * it, e.g. `240s` (see the comment on the wait below).
   */
  metricVisibleAfter: string;
  /** Also awaited by the quarantine policy: the ingest function (its build takes minutes). */
  quarantinePolicyAfter?: pulumi.Input<pulumi.Resource>[];
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Ingest's JSON summary lines that quarantined something (functions/handlers/ingest.ts). */
function quarantineLogFilter(ingestServiceName: string): string {
  return (
    `resource.type="cloud_run_revision" AND resource.labels.service_name="${ingestServiceName}"` +
    ' AND jsonPayload.component="ingest" AND jsonPayload.counts.quarantined>0'
  );
}

/**
 * The PromQL of the no-data alert: no 2xx answer from ingest in the last `minutes`, evaluated
 * only Monday to Friday between `start` + `minutes` and `end` (UTC), so nights and weekends,
 * when nobody writes code, never page anyone, and the first window of the day is entirely
 * inside working hours.
 */
function noDataQuery(
  ingestServiceName: string,
  minutes: number,
  hours: { start: number; end: number },
): string {
  const series = `run_googleapis_com:request_count{monitored_resource="cloud_run_revision",service_name="${ingestServiceName}",response_code_class="2xx"}`;
  return (
    `absent_over_time(${series}[${minutes}m])` +
    ` and on() (day_of_week() >= 1 <= 5)` +
    ` and on() (hour() * 60 + minute() >= ${hours.start * 60 + minutes})` +
    ` and on() (hour() < ${hours.end})`
  );
}

/**
 * The alerts an operator needs, one policy each so each can be muted or routed on its own:
 * - backlog: the push subscription's oldest unacked message is older than N minutes (ingest is
 *   down, throttled at max instances, or failing transiently: messages wait, not lost yet);
 * - no data: ingest answered nothing successfully for N minutes in working hours (the sink,
 *   its grant or Gemini logging is broken: the one failure nothing else sees);
 * - dead letters: the dead-letter subscription holds messages (entries not in BigQuery until
 *   replayed);
 * - quarantine: ingest quarantined entries (entries the figures do not include), counted by a
 *   log-based metric on the function's JSON summary line;
 * - function errors: ingest answered many 5xx (each is a redelivery; a few during a BigQuery
 *   blip are normal), or a scheduled function failed at all.
 *
 * The built-in metrics (Pub/Sub, Cloud Run) always exist. The log-based metric does not until
 * Cloud Monitoring has seen its descriptor: an alert policy created right after it fails with
 * 404 "Cannot find metric(s)... could take up to 10 minutes" (hashicorp/terraform-provider-google
 * #11102). The accepted workaround is a wait between the two (Terraform's `time_sleep`; here the
 * same provider for Pulumi, @pulumiverse/time): the metric is created at the start of the deploy
 * (its filter names the function by its known name, so it waits for nothing), and the policy
 * after the wait and after the functions, whose builds take minutes of their own.
 */
export class Alerting extends pulumi.ComponentResource {
  readonly quarantineMetric: gcp.logging.Metric;
  /** The wait between the metric and the policy reading it. */
  readonly metricVisible: time.Sleep;
  readonly policies: Record<
    'backlog' | 'noData' | 'deadLetters' | 'quarantine' | 'functionErrors',
    gcp.monitoring.AlertPolicy
  >;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:Alerting', name, {}, opts);
    this.quarantineMetric = new gcp.logging.Metric(
      `${name}-quarantine-metric`,
      {
        project: args.project,
        name: args.quarantineMetricName,
        description: 'Ingest flushes of gca-analytics that quarantined at least one entry.',
        filter: quarantineLogFilter(args.ingestServiceName),
        // A counter of summary lines that quarantined anything: a plain number an alert can
        // compare (a distribution of the counts could not be thresholded directly).
        metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' },
      },
      {
        parent: this,
        dependsOn: args.dependsOn,
        ...formerName(`${name}-quarantine-metric`, 'gca_ingest_quarantined'),
      },
    );
    // Only on create (and when the metric is replaced: the trigger), never on later updates.
    this.metricVisible = new time.Sleep(
      `${name}-quarantine-metric-visible`,
      { createDuration: args.metricVisibleAfter, triggers: { metric: this.quarantineMetric.id } },
      { parent: this, dependsOn: [this.quarantineMetric] },
    );

    const common = {
      project: args.project,
      notificationChannels: [...args.notificationChannels],
      alertStrategy: { autoClose: '86400s' },
    };
    const doc = (content: string) => ({ mimeType: 'text/markdown', content });
    const sub = (id: string, metric: string) =>
      `resource.type="pubsub_subscription" AND resource.labels.subscription_id="${id}" AND metric.type="pubsub.googleapis.com/subscription/${metric}"`;
    const requests = (services: string, codeClass: string) =>
      `resource.type="cloud_run_revision" AND resource.labels.service_name=${services} AND metric.type="run.googleapis.com/request_count" AND metric.labels.response_code_class="${codeClass}"`;
    const sum5m = [
      { alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' },
    ];
    const child = { parent: this, dependsOn: args.dependsOn };

    const backlog = new gcp.monitoring.AlertPolicy(
      `${name}-backlog`,
      {
        ...common,
        displayName: `${args.title}: log entries waiting more than ${args.backlogAlertMinutes} minutes`,
        combiner: 'OR',
        severity: 'WARNING',
        documentation: doc(
          `Messages wait on \`${args.pushSubscriptionName}\`: ingest is down, at its maximum ` +
            'instances, or failing (see the function errors alert). Nothing is lost until ' +
            'maxDeliveryAttempts is spent; see docs/deploy.md, capacity.',
        ),
        conditions: [
          {
            displayName: 'Oldest unacked message age on the push subscription',
            conditionThreshold: {
              filter: sub(args.pushSubscriptionName, 'oldest_unacked_message_age'),
              comparison: 'COMPARISON_GT',
              thresholdValue: args.backlogAlertMinutes * 60,
              duration: '0s',
              aggregations: [{ alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MAX' }],
              trigger: { count: 1 },
            },
          },
        ],
      },
      child,
    );

    const noData = new gcp.monitoring.AlertPolicy(
      `${name}-no-data`,
      {
        ...common,
        displayName: `${args.title}: no log entry ingested for ${args.noDataAlertMinutes} minutes (working hours)`,
        combiner: 'OR',
        severity: 'WARNING',
        documentation: doc(
          'Ingest answered no push successfully in working hours (Monday to Friday, ' +
            `${args.workingHoursUtc.start}:00-${args.workingHoursUtc.end}:00 UTC). Check the ` +
            'sink (its writer identity must publish to the topic), that Gemini logging is on, ' +
            'and the backlog alert. See docs/deploy.md, Check that it works.',
        ),
        conditions: [
          {
            displayName: 'No 2xx answer from ingest',
            conditionPrometheusQueryLanguage: {
              query: noDataQuery(
                args.ingestServiceName,
                args.noDataAlertMinutes,
                args.workingHoursUtc,
              ),
              duration: '0s',
              evaluationInterval: '60s',
            },
          },
        ],
      },
      child,
    );

    // The first release's single policy (dead letters + quarantine) was this component's
    // namesake: the alias updates it in place into the dead-letter policy.
    const deadLetters = new gcp.monitoring.AlertPolicy(
      `${name}-dead-letters`,
      {
        ...common,
        displayName: `${args.title}: dead-lettered log entries`,
        combiner: 'OR',
        severity: 'WARNING',
        documentation: doc(
          `Dead-lettered messages are in \`${args.deadLetterSubscriptionName}\`: fix the cause, ` +
            'then replay them (`gca-analytics dead-letters replay`). See docs/deploy.md.',
        ),
        conditions: [
          {
            displayName: 'Dead-letter subscription holds messages',
            conditionThreshold: {
              filter: sub(args.deadLetterSubscriptionName, 'num_undelivered_messages'),
              comparison: 'COMPARISON_GT',
              thresholdValue: 0,
              duration: '0s',
              aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_MAX' }],
              trigger: { count: 1 },
            },
          },
        ],
      },
      { ...child, ...formerName(`${name}-dead-letters`, name) },
    );

    const quarantine = new gcp.monitoring.AlertPolicy(
      `${name}-quarantine`,
      {
        ...common,
        displayName: `${args.title}: quarantined log entries`,
        combiner: 'OR',
        severity: 'WARNING',
        documentation: doc(
          "Quarantined entries are rows in the raw dataset's `quarantine` table with a reason " +
            'code; the figures do not include them. See docs/deploy.md.',
        ),
        conditions: [
          {
            displayName: 'Ingest quarantined entries',
            conditionThreshold: {
              filter: pulumi.interpolate`resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/${this.quarantineMetric.name}"`,
              comparison: 'COMPARISON_GT',
              thresholdValue: args.quarantineThreshold,
              duration: '0s',
              // Flushes with quarantined entries in each 5-minute window.
              aggregations: sum5m,
              trigger: { count: 1 },
            },
          },
        ],
      },
      {
        parent: this,
        dependsOn: [
          ...(args.dependsOn ?? []),
          ...(args.quarantinePolicyAfter ?? []),
          this.metricVisible,
        ],
      },
    );

    const scheduled = `one_of(${args.scheduledServiceNames.map((s) => `"${s}"`).join(', ')})`;
    const functionErrors = new gcp.monitoring.AlertPolicy(
      `${name}-function-errors`,
      {
        ...common,
        displayName: `${args.title}: function errors`,
        combiner: 'OR',
        severity: 'ERROR',
        documentation: doc(
          'Ingest answers 5xx when a write fails transiently (Pub/Sub redelivers), and a burst ' +
            'of them means BigQuery or Firestore is failing; a scheduled function (recompute, ' +
            "retention) that fails leaves figures stale. Read the function's log lines.",
        ),
        conditions: [
          {
            displayName: `Ingest answered more than ${args.ingestErrorThreshold} 5xx in 5 minutes`,
            conditionThreshold: {
              filter: requests(`"${args.ingestServiceName}"`, '5xx'),
              comparison: 'COMPARISON_GT',
              thresholdValue: args.ingestErrorThreshold,
              duration: '0s',
              aggregations: sum5m,
              trigger: { count: 1 },
            },
          },
          {
            displayName: 'A scheduled function failed',
            conditionThreshold: {
              filter: requests(scheduled, '5xx'),
              comparison: 'COMPARISON_GT',
              thresholdValue: 0,
              duration: '0s',
              aggregations: sum5m,
              trigger: { count: 1 },
            },
          },
        ],
      },
      child,
    );

    this.policies = { backlog, noData, deadLetters, quarantine, functionErrors };
    this.registerOutputs({
      policies: Object.fromEntries(Object.entries(this.policies).map(([k, p]) => [k, p.name])),
    });
  }
}
