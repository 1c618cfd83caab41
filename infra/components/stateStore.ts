import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

/** A named database, so the stack never collides with a project's existing `(default)`. */
export const FIRESTORE_DATABASE = 'gca-analytics';

export interface StateStoreArgs {
  project: string;
  location: string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The Firestore database of the control state (leases, watermarks, policy, erasure requests). */
export class StateStore extends pulumi.ComponentResource {
  readonly database: gcp.firestore.Database;

  constructor(name: string, args: StateStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:StateStore', name, {}, opts);
    this.database = new gcp.firestore.Database(
      name,
      {
        project: args.project,
        name: FIRESTORE_DATABASE,
        locationId: args.location,
        type: 'FIRESTORE_NATIVE',
        concurrencyMode: 'PESSIMISTIC',
        // Pending erasure requests live here: losing them would lose a legal obligation.
        deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
        pointInTimeRecoveryEnablement: 'POINT_IN_TIME_RECOVERY_ENABLED',
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ database: this.database.name });
  }
}
