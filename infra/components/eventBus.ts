import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export interface EventBusArgs {
  project: string;
  /** CMEK for both topics; undefined: Google-managed encryption. */
  kmsKeyName?: string;
  /** The Pub/Sub service agent, which moves failed messages to the dead-letter topic. */
  pubsubAgentMember: pulumi.Input<string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Seven days: the longest a subscription keeps messages, time to notice, fix and replay. */
export const DEAD_LETTER_RETENTION = '604800s';

/**
 * The log topic, and the dead-letter topic with a pull subscription that keeps what the ingest
 * function could not take, so nothing is dropped silently and a fix can be replayed.
 */
export class EventBus extends pulumi.ComponentResource {
  readonly topic: gcp.pubsub.Topic;
  readonly deadLetterTopic: gcp.pubsub.Topic;
  readonly deadLetterSubscription: gcp.pubsub.Subscription;

  constructor(name: string, args: EventBusArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:EventBus', name, {}, opts);
    const encryption = args.kmsKeyName ? { kmsKeyName: args.kmsKeyName } : {};
    this.topic = new gcp.pubsub.Topic(
      'gca-logs',
      { project: args.project, name: 'gca-logs', ...encryption },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.deadLetterTopic = new gcp.pubsub.Topic(
      'gca-logs-dead-letter',
      { project: args.project, name: 'gca-logs-dead-letter', ...encryption },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.deadLetterSubscription = new gcp.pubsub.Subscription(
      'gca-logs-dead-letter-pull',
      {
        project: args.project,
        name: 'gca-logs-dead-letter-pull',
        topic: this.deadLetterTopic.id,
        messageRetentionDuration: DEAD_LETTER_RETENTION,
        // Unacked messages are the point of this subscription: keep them for the full week.
        retainAckedMessages: false,
        ackDeadlineSeconds: 60,
        // Never expire for inactivity: nobody pulls from it until something went wrong.
        expirationPolicy: { ttl: '' },
      },
      { parent: this },
    );
    // Dead-lettering is done by the Pub/Sub service agent: it must publish to this topic.
    new gcp.pubsub.TopicIAMMember(
      `${name}-dead-letter-publisher`,
      {
        project: args.project,
        topic: this.deadLetterTopic.name,
        role: 'roles/pubsub.publisher',
        member: args.pubsubAgentMember,
      },
      { parent: this },
    );
    this.registerOutputs({
      topic: this.topic.id,
      deadLetterTopic: this.deadLetterTopic.id,
      deadLetterSubscription: this.deadLetterSubscription.id,
    });
  }
}
