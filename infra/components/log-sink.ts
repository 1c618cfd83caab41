import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { GEMINI_RESOURCE_TYPE } from '../../shared/schemas/log-entry';
import type { SinkScope } from '../config';

/** The sink exports Gemini for Google Cloud entries and nothing else. */
const SINK_FILTER = `resource.type="${GEMINI_RESOURCE_TYPE}"`;

export interface LogSinkArgs {
  project: string;
  /** Physical sink name (infra/naming.ts). */
  sinkName: string;
  scope: SinkScope;
  /** Folder or organization id (numeric), for those scopes. */
  parentId?: string;
  /** The topic id, `projects/P/topics/T`. */
  topicId: pulumi.Input<string>;
  /** The topic's short name, for the IAM binding. */
  topicName: pulumi.Input<string>;
  /**
   * What must exist before the sink may publish: the push subscription (a message published to
   * a topic with no subscription is lost). The publish grant, which is what lets the sink
   * deliver, is created after these.
   */
  deliverAfter?: pulumi.Input<pulumi.Resource>[];
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Cloud Logging sink that routes Gemini log entries to the topic, at project, folder or
 * organization level (folder and organization sinks include their child projects), and the one
 * grant its writer identity needs: publish on that topic.
 */
export class LogSink extends pulumi.ComponentResource {
  readonly writerIdentity: pulumi.Output<string>;

  constructor(name: string, args: LogSinkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:LogSink', name, {}, opts);
    const destination = pulumi.interpolate`pubsub.googleapis.com/${args.topicId}`;
    const common = {
      name: args.sinkName,
      description: 'Gemini Code Assist logs to the gca-analytics pipeline',
      destination,
      filter: SINK_FILTER,
    };
    const childOpts = { parent: this, dependsOn: args.dependsOn };
    // A folder or organization sink exports its child projects' entries too.
    const tree = { ...common, includeChildren: true };
    const sink =
      args.scope === 'project'
        ? new gcp.logging.ProjectSink(
            name,
            // A dedicated writer identity, so the publish grant below is this sink's alone.
            { ...common, project: args.project, uniqueWriterIdentity: true },
            childOpts,
          )
        : args.scope === 'folder'
          ? new gcp.logging.FolderSink(name, { ...tree, folder: requireParent(args) }, childOpts)
          : new gcp.logging.OrganizationSink(
              name,
              { ...tree, orgId: requireParent(args) },
              childOpts,
            );
    this.writerIdentity = sink.writerIdentity;
    // writerIdentity is already a member string: `serviceAccount:...`.
    new gcp.pubsub.TopicIAMMember(
      `${name}-writer-publisher`,
      {
        project: args.project,
        topic: args.topicName,
        role: 'roles/pubsub.publisher',
        member: sink.writerIdentity,
      },
      { parent: this, dependsOn: args.deliverAfter },
    );
    this.registerOutputs({ writerIdentity: this.writerIdentity });
  }
}

function requireParent(args: LogSinkArgs): string {
  if (!args.parentId) throw new Error(`a ${args.scope} sink needs sinkParentId`);
  return args.parentId;
}
