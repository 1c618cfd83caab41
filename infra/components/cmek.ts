import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export interface CmekGrantsArgs {
  project: string;
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  kmsKeyName: string;
  /** The Pub/Sub service agent (`serviceAccount:service-N@gcp-sa-pubsub...`). */
  pubsubAgentMember: pulumi.Input<string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Lets the Google service agents that encrypt our data use the customer-managed key: BigQuery
 * (datasets and their tables) and Pub/Sub (topics). Only this key, only encrypt/decrypt.
 */
export class CmekGrants extends pulumi.ComponentResource {
  /** Resources that must exist before an encrypted dataset or topic is created. */
  readonly grants: gcp.kms.CryptoKeyIAMMember[];

  constructor(name: string, args: CmekGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:CmekGrants', name, {}, opts);
    const bigqueryAgent = gcp.bigquery.getDefaultServiceAccountOutput(
      { project: args.project },
      { parent: this, dependsOn: args.dependsOn },
    );
    const role = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';
    this.grants = [
      new gcp.kms.CryptoKeyIAMMember(
        `${name}-bigquery`,
        { cryptoKeyId: args.kmsKeyName, role, member: bigqueryAgent.member },
        { parent: this },
      ),
      new gcp.kms.CryptoKeyIAMMember(
        `${name}-pubsub`,
        { cryptoKeyId: args.kmsKeyName, role, member: args.pubsubAgentMember },
        { parent: this },
      ),
    ];
    this.registerOutputs({});
  }
}
