import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export interface FunctionSourceBucketArgs {
  project: string;
  /** Globally unique, and tells whose it is (infra/naming.ts: `PROJECT-gca-functions-source`). */
  bucketName: string;
  location: string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A private bucket for the function source archives. Only the deployer writes it; the Functions
 * service copies each archive into its own source bucket, which the build identity reads.
 */
export class FunctionSourceBucket extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;

  constructor(
    name: string,
    args: FunctionSourceBucketArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super('gca-analytics:infra:FunctionSourceBucket', name, {}, opts);
    this.bucket = new gcp.storage.Bucket(
      name,
      {
        project: args.project,
        name: args.bucketName,
        location: args.location,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        // Source archives are rebuilt from git at will; an emptied bucket must not block destroy.
        forceDestroy: true,
        labels: { app: 'gca-analytics' },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ bucket: this.bucket.name });
  }
}
