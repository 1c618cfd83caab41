import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { formerName } from './aliases';

/** What this component was called in the first release (the program's name for it is unchanged). */
export const CONTROL_STATE_DATABASE_FORMERLY = { type: 'gca-analytics:infra:StateStore' } as const;

export interface ControlStateDatabaseArgs {
  project: string;
  /**
   * The database id (infra/naming.ts: `gca-analytics`, or `dev-gca-analytics`): a named
   * database, so the stack never collides with a project's existing `(default)`.
   */
  databaseId: string;
  location: string;
  /** True (the stack default): the database refuses deletion. False only to tear down. */
  deletionProtection: boolean;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Firestore database of the control state (leases, watermarks, policy, erasure requests);
 * the functions reach it through the `StateStore` port (shared/state/port.ts). Named apart from
 * that port on purpose: this is the database, not the code that reads it.
 */
export class ControlStateDatabase extends pulumi.ComponentResource {
  readonly database: gcp.firestore.Database;

  constructor(
    name: string,
    args: ControlStateDatabaseArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // The alias keeps a stack deployed when this component was called StateStore.
    super(
      'gca-analytics:infra:ControlStateDatabase',
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), CONTROL_STATE_DATABASE_FORMERLY],
      },
    );
    this.database = new gcp.firestore.Database(
      `${name}-database`,
      {
        project: args.project,
        name: args.databaseId,
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
      { parent: this, dependsOn: args.dependsOn, ...formerName(`${name}-database`, name) },
    );
    this.registerOutputs({ database: this.database.name });
  }
}
