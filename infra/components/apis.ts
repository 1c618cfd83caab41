import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

/** The APIs the pipeline calls, each with why it is needed. */
export const REQUIRED_APIS = [
  'logging.googleapis.com', // the sink and the log-based metric
  'pubsub.googleapis.com', // topic, push and dead-letter subscriptions
  'cloudfunctions.googleapis.com', // the three 2nd-gen functions
  'run.googleapis.com', // 2nd-gen functions run as Cloud Run services
  'cloudbuild.googleapis.com', // builds the function source
  'artifactregistry.googleapis.com', // holds the built function images
  'eventarc.googleapis.com', // required by the 2nd-gen functions API
  'cloudscheduler.googleapis.com', // hourly recompute, daily retention
  'firestore.googleapis.com', // control state
  'bigquery.googleapis.com', // the warehouse
  'storage.googleapis.com', // function source bucket
  'monitoring.googleapis.com', // alert policy
  'iam.googleapis.com', // service accounts
  'cloudresourcemanager.googleapis.com', // project IAM bindings
  'cloudkms.googleapis.com', // CMEK (harmless when no key is configured)
  'secretmanager.googleapis.com', // optional pseudonymization key
] as const;

export interface RequiredApisArgs {
  project: string;
}

/** Enables every API the pipeline needs; other resources depend on `ready`. */
export class RequiredApis extends pulumi.ComponentResource {
  /** All services, to use in `dependsOn`. */
  readonly services: gcp.projects.Service[];

  constructor(name: string, args: RequiredApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:RequiredApis', name, {}, opts);
    this.services = REQUIRED_APIS.map(
      (api) =>
        new gcp.projects.Service(
          `${name}-${api.split('.')[0]}`,
          {
            project: args.project,
            service: api,
            // Turning an API off on `pulumi destroy` could break other workloads in the project.
            disableOnDestroy: false,
            disableDependentServices: false,
          },
          { parent: this },
        ),
    );
    this.registerOutputs({ services: this.services.map((s) => s.service) });
  }
}
