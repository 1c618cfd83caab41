import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { formerName } from './aliases';

export interface EventBusArgs {
  project: string;
  /** Physical names (infra/naming.ts). */
  topicName: string;
  deadLetterTopicName: string;
  deadLetterSubscriptionName: string;
  /**
   * Seconds the dead-letter subscription keeps a message (at most 7 days). It holds entries as
   * the sink wrote them, before any content policy: prompts and responses unscrubbed.
   */
  deadLetterRetentionSeconds: number;
  /**
   * Regions where Pub/Sub may store the topics' messages (a message storage policy); empty:
   * no policy (any region the organization policy allows).
   */
  allowedPersistenceRegions: readonly string[];
  /** CMEK for both topics; undefined: Google-managed encryption. */
  kmsKeyName?: string;
  /** The Pub/Sub service agent, which moves failed messages to the dead-letter topic. */
  pubsubAgentMember: pulumi.Input<string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The log topic, and the dead-letter topic with a pull subscription that keeps what the ingest
 * function could not take, so nothing is dropped silently and a fix can be replayed.
 */
export class EventBus extends pulumi.ComponentResource {
  readonly topic: gcp.pubsub.Topic;
  readonly deadLetterTopic: gcp.pubsub.Topic;
  readonly deadLetterSubscription: gcp.pubsub.Subscription;
  /** The Pub/Sub agent's publish grant on the dead-letter topic: dead-lettering needs it. */
  readonly deadLetterPublisher: gcp.pubsub.TopicIAMMember;

  constructor(name: string, args: EventBusArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:EventBus', name, {}, opts);
    const encryption = args.kmsKeyName ? { kmsKeyName: args.kmsKeyName } : {};
    // Messages are log entries, prompts included: stored only where the stack config allows.
    const storage =
      args.allowedPersistenceRegions.length > 0
        ? {
            messageStoragePolicy: {
              allowedPersistenceRegions: [...args.allowedPersistenceRegions],
            },
          }
        : {};
    // The first release named these children by their physical names: aliases keep them.
    this.topic = new gcp.pubsub.Topic(
      `${name}-topic`,
      { project: args.project, name: args.topicName, ...encryption, ...storage },
      { parent: this, dependsOn: args.dependsOn, ...formerName(`${name}-topic`, 'gca-logs') },
    );
    this.deadLetterTopic = new gcp.pubsub.Topic(
      `${name}-dead-letter-topic`,
      { project: args.project, name: args.deadLetterTopicName, ...encryption, ...storage },
      {
        parent: this,
        dependsOn: args.dependsOn,
        ...formerName(`${name}-dead-letter-topic`, 'gca-logs-dead-letter'),
      },
    );
    this.deadLetterSubscription = new gcp.pubsub.Subscription(
      `${name}-dead-letter-pull`,
      {
        project: args.project,
        name: args.deadLetterSubscriptionName,
        topic: this.deadLetterTopic.id,
        messageRetentionDuration: `${args.deadLetterRetentionSeconds}s`,
        // Unacked messages are the point of this subscription: kept for the retention above.
        retainAckedMessages: false,
        ackDeadlineSeconds: 60,
        // Never expire for inactivity: nobody pulls from it until something went wrong.
        expirationPolicy: { ttl: '' },
      },
      { parent: this, ...formerName(`${name}-dead-letter-pull`, 'gca-logs-dead-letter-pull') },
    );
    // Dead-lettering is done by the Pub/Sub service agent: it must publish to this topic.
    this.deadLetterPublisher = new gcp.pubsub.TopicIAMMember(
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
