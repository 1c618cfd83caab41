import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionArtifact } from '../bundle';

/** A secret exposed to the function as an environment variable. */
export interface SecretEnv {
  key: string;
  /** Secret id (short name) in `projectId`. */
  secret: string;
  projectId: string;
}

// Names, identities and URLs, as push-subscription.ts's and scheduled-call.ts's args: each
// resource's own fields, alike by shape only.
export interface CloudFunctionArgs {
  project: string;
  region: string;
  /** Physical function (and Cloud Run service) name (infra/naming.ts). */
  functionName: string;
  /** The functions-framework target (also the function name's suffix). */
  target: string;
  artifact: FunctionArtifact;
  sourceBucket: pulumi.Input<string>;
  /** Runtime identity (email). */
  serviceAccountEmail: pulumi.Input<string>;
  /** Build identity, `projects/P/serviceAccounts/EMAIL`. */
  buildServiceAccountId: pulumi.Input<string>;
  /** The one identity allowed to call the function (`serviceAccount:...`). */
  invokerMember: pulumi.Input<string>;
  environment: Readonly<Record<string, pulumi.Input<string>>>;
  secrets?: readonly SecretEnv[];
  timeoutSeconds: number;
  availableMemory: string;
  /** vCPUs per instance, e.g. "1"; undefined: what the memory size gives (0.33 at 512Mi). */
  availableCpu?: string;
  /** Requests one instance serves at once; more than 1 needs at least one whole vCPU. */
  concurrency?: number;
  maxInstances: number;
  /** Node.js runtime, e.g. nodejs20; must match the bundle's target. */
  runtime: string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * One 2nd-gen Cloud Function: its source archive (bundle + package.json, object named by the
 * content hash so a change redeploys), internal-only ingress, its own runtime identity, and
 * run.invoker for exactly one caller. 2nd-gen functions are invoked through their Cloud Run
 * service, so the invoker grant is on that service (cloudfunctions.invoker would not apply).
 */
export class CloudFunction extends pulumi.ComponentResource {
  readonly function: gcp.cloudfunctionsv2.Function;
  readonly url: pulumi.Output<string>;
  /** The one invoker grant: a caller (scheduler job, push subscription) depends on it. */
  readonly invoker: gcp.cloudrunv2.ServiceIamMember;

  constructor(name: string, args: CloudFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:CloudFunction', name, {}, opts);
    const archive = new gcp.storage.BucketObject(
      `${name}-source`,
      {
        bucket: args.sourceBucket,
        name: `functions/${args.target}-${args.artifact.hash}.zip`,
        source: new pulumi.asset.AssetArchive({
          'index.js': new pulumi.asset.StringAsset(args.artifact.code),
          'package.json': new pulumi.asset.StringAsset(args.artifact.packageJson),
        }),
      },
      { parent: this },
    );
    this.function = new gcp.cloudfunctionsv2.Function(
      name,
      {
        project: args.project,
        location: args.region,
        name: args.functionName,
        description: `gca-analytics ${args.target}`,
        labels: { app: 'gca-analytics' },
        buildConfig: {
          runtime: args.runtime,
          entryPoint: args.target,
          serviceAccount: args.buildServiceAccountId,
          source: { storageSource: { bucket: args.sourceBucket, object: archive.name } },
        },
        serviceConfig: {
          // Only Pub/Sub and Cloud Scheduler of this project (and its VPC) can reach it.
          ingressSettings: 'ALLOW_INTERNAL_ONLY',
          serviceAccountEmail: args.serviceAccountEmail,
          environmentVariables: { ...args.environment },
          secretEnvironmentVariables: (args.secrets ?? []).map((s) => ({
            key: s.key,
            projectId: s.projectId,
            secret: s.secret,
            version: 'latest',
          })),
          timeoutSeconds: args.timeoutSeconds,
          availableMemory: args.availableMemory,
          ...(args.availableCpu ? { availableCpu: args.availableCpu } : {}),
          ...(args.concurrency ? { maxInstanceRequestConcurrency: args.concurrency } : {}),
          maxInstanceCount: args.maxInstances,
          minInstanceCount: 0,
          allTrafficOnLatestRevision: true,
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.invoker = new gcp.cloudrunv2.ServiceIamMember(
      `${name}-invoker`,
      {
        project: args.project,
        location: args.region,
        name: this.function.name,
        role: 'roles/run.invoker',
        member: args.invokerMember,
      },
      { parent: this },
    );
    this.url = this.function.serviceConfig.apply((c) => {
      if (!c?.uri) throw new Error(`${name}: the function has no URL`);
      return c.uri;
    });
    this.registerOutputs({ url: this.url });
  }
}
