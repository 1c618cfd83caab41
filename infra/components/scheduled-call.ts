import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

// Each component here takes an args interface (project, physical name, identities, what it
// waits for) and declares its resource from it in the same few lines, so the components read
// alike (duplicates pairs this file with cloud-function.ts, function-source.ts and
// push-subscription.ts); the fields are each resource's own, so a shared base type would hold
// only `project` and `dependsOn`.
export interface ScheduledCallArgs {
  project: string;
  /** Physical job name (infra/naming.ts). */
  jobName: string;
  region: string;
  schedule: string;
  timeZone: string;
  /** The function URL: target and OIDC audience. */
  uri: pulumi.Input<string>;
  /** The caller identity (email); it may invoke this one function only. */
  serviceAccountEmail: pulumi.Input<string>;
  /** Seconds to wait for the call; Cloud Scheduler allows at most 1800. */
  attemptDeadlineSeconds: number;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A Cloud Scheduler job that POSTs `{}` to a function with an OIDC token. */
export class ScheduledCall extends pulumi.ComponentResource {
  readonly job: gcp.cloudscheduler.Job;

  constructor(name: string, args: ScheduledCallArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:ScheduledCall', name, {}, opts);
    this.job = new gcp.cloudscheduler.Job(
      name,
      {
        project: args.project,
        region: args.region,
        name: args.jobName,
        schedule: args.schedule,
        timeZone: args.timeZone,
        attemptDeadline: `${args.attemptDeadlineSeconds}s`,
        // The jobs are idempotent and lease-protected: a retry is safe and closes a gap sooner.
        retryConfig: { retryCount: 3, minBackoffDuration: '60s', maxBackoffDuration: '600s' },
        httpTarget: {
          uri: args.uri,
          httpMethod: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: Buffer.from('{}').toString('base64'),
          oidcToken: { serviceAccountEmail: args.serviceAccountEmail, audience: args.uri },
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ job: this.job.id });
  }
}
