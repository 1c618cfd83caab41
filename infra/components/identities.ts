import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { SERVICE_ACCOUNT_BASE_IDS } from '../naming';
import { formerName } from './aliases';

/** The identities of the pipeline: one per function, one per caller, one for builds. */
export const IDENTITIES = {
  ingest: { displayName: 'gca-analytics ingest function' },
  recompute: { displayName: 'gca-analytics recompute function' },
  retention: { displayName: 'gca-analytics retention function' },
  ingestPush: { displayName: 'Pub/Sub push to the ingest function (OIDC)' },
  recomputeScheduler: { displayName: 'Cloud Scheduler call of the recompute function (OIDC)' },
  retentionScheduler: { displayName: 'Cloud Scheduler call of the retention function (OIDC)' },
  build: { displayName: 'Cloud Build of the function source' },
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
  /** Physical account ids (infra/naming.ts), e.g. `gca-ingest` or `dev-gca-ingest`. */
  accountIds: Readonly<Record<IdentityName, string>>;
  /** Appended to display names (`[dev]`), so the console tells two stacks apart. */
  displaySuffix?: string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Creates the service accounts and their project-level roles. */
export class ServiceIdentities extends pulumi.ComponentResource {
  readonly accounts: Record<IdentityName, gcp.serviceaccount.Account>;
  /**
   * Each identity's project-level grants: depend on these, not only on the account, where a
   * role must be in effect (the functions' builds run as `build` and need its role at once).
   */
  readonly grants: Record<IdentityName, gcp.projects.IAMMember[]>;

  constructor(name: string, args: ServiceIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:ServiceIdentities', name, {}, opts);
    const accounts = {} as Record<IdentityName, gcp.serviceaccount.Account>;
    const grants = {} as Record<IdentityName, gcp.projects.IAMMember[]>;
    for (const key of Object.keys(IDENTITIES) as IdentityName[]) {
      const spec = IDENTITIES[key];
      const accountId = args.accountIds[key];
      // Children are named from this component's name; the alias keeps the resources deployed
      // under the first release's logical names (the account id) instead of replacing them.
      const account = new gcp.serviceaccount.Account(
        `${name}-${key}`,
        {
          project: args.project,
          accountId,
          displayName: `${spec.displayName}${args.displaySuffix ?? ''}`,
        },
        {
          parent: this,
          dependsOn: args.dependsOn,
          ...formerName(`${name}-${key}`, SERVICE_ACCOUNT_BASE_IDS[key]),
        },
      );
      accounts[key] = account;
      grants[key] = PROJECT_ROLES[key].map((role) => {
        const roleSlug = role.replace('roles/', '').replace(/\./g, '-');
        return new gcp.projects.IAMMember(
          `${name}-${key}-${roleSlug}`,
          { project: args.project, role, member: account.member },
          {
            parent: this,
            ...formerName(
              `${name}-${key}-${roleSlug}`,
              `${SERVICE_ACCOUNT_BASE_IDS[key]}-${roleSlug}`,
            ),
          },
        );
      });
    }
    this.accounts = accounts;
    this.grants = grants;
    this.registerOutputs({
      emails: Object.fromEntries(Object.entries(accounts).map(([k, a]) => [k, a.email])),
    });
  }
}
