import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

/** A named database, so the stack never collides with a project's existing `(default)`. */
export const FIRESTORE_DATABASE = 'gca-analytics';

export interface StateStoreArgs {
  project: string;
  location: string;
  /** True (the stack default): the database refuses deletion. False only to tear down. */
  deletionProtection: boolean;
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
        deleteProtectionState: args.deletionProtection
          ? 'DELETE_PROTECTION_ENABLED'
          : 'DELETE_PROTECTION_DISABLED',
        // The provider's default, ABANDON, makes `pulumi destroy` drop the database from the
        // stack and leave it running (and a new stack then fails: the name exists). DELETE lets
        // a destroy really delete it, which the protection above refuses until it is turned off.
        deletionPolicy: 'DELETE',
        pointInTimeRecoveryEnablement: 'POINT_IN_TIME_RECOVERY_ENABLED',
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ database: this.database.name });
  }
}
