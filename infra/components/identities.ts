import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

/** The identities of the pipeline: one per function, one per caller, one for builds. */
export const IDENTITIES = {
  ingest: { accountId: 'gca-ingest', displayName: 'gca-analytics ingest function' },
  recompute: { accountId: 'gca-recompute', displayName: 'gca-analytics recompute function' },
  retention: { accountId: 'gca-retention', displayName: 'gca-analytics retention function' },
  ingestPush: {
    accountId: 'gca-ingest-push',
    displayName: 'Pub/Sub push to the ingest function (OIDC)',
  },
  recomputeScheduler: {
    accountId: 'gca-recompute-scheduler',
    displayName: 'Cloud Scheduler call of the recompute function (OIDC)',
  },
  retentionScheduler: {
    accountId: 'gca-retention-scheduler',
    displayName: 'Cloud Scheduler call of the retention function (OIDC)',
  },
  build: { accountId: 'gca-functions-build', displayName: 'Cloud Build of the function source' },
} as const;
export type IdentityName = keyof typeof IDENTITIES;

/**
 * Project-level roles, the only ones not scoped to one resource. Dataset, table, topic,
 * subscription, bucket and function grants live with those resources.
 */
export const PROJECT_ROLES: Readonly<Record<IdentityName, readonly string[]>> = {
  // Firestore holds the lease/watermark/policy state; datastore.user is the narrowest role
  // that reads and writes documents.
  ingest: ['roles/datastore.user'],
  // Running a query job is a project permission; data access comes from the dataset grants.
  recompute: ['roles/bigquery.jobUser', 'roles/datastore.user'],
  retention: ['roles/bigquery.jobUser', 'roles/datastore.user'],
  ingestPush: [],
  recomputeScheduler: [],
  retentionScheduler: [],
  // Google's documented role for a custom function build identity: read the source (which the
  // Functions service copies into its own gcf-v2-sources bucket), write logs, push the image.
  build: ['roles/run.builder'],
};

export interface ServiceIdentitiesArgs {
  project: string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Creates the service accounts and their project-level roles. */
export class ServiceIdentities extends pulumi.ComponentResource {
  readonly accounts: Record<IdentityName, gcp.serviceaccount.Account>;

  constructor(name: string, args: ServiceIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:ServiceIdentities', name, {}, opts);
    const accounts = {} as Record<IdentityName, gcp.serviceaccount.Account>;
    for (const key of Object.keys(IDENTITIES) as IdentityName[]) {
      const spec = IDENTITIES[key];
      const account = new gcp.serviceaccount.Account(
        spec.accountId,
        { project: args.project, accountId: spec.accountId, displayName: spec.displayName },
        { parent: this, dependsOn: args.dependsOn },
      );
      accounts[key] = account;
      for (const role of PROJECT_ROLES[key]) {
        new gcp.projects.IAMMember(
          `${spec.accountId}-${role.replace('roles/', '').replace(/\./g, '-')}`,
          { project: args.project, role, member: account.member },
          { parent: this },
        );
      }
    }
    this.accounts = accounts;
    this.registerOutputs({
      emails: Object.fromEntries(Object.entries(accounts).map(([k, a]) => [k, a.email])),
    });
  }
}
