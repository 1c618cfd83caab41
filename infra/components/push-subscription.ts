import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

// Reads like cloud-function.ts's args (names, identities, URLs): see scheduled-call.ts.
export interface PushSubscriptionArgs {
  project: string;
  /** Physical subscription name (infra/naming.ts). */
  subscriptionName: string;
  /** `projects/P/topics/T` */
  topicId: pulumi.Input<string>;
  /** The ingest function's URL: push endpoint and OIDC audience. */
  endpoint: pulumi.Input<string>;
  /** The push identity (email) whose OIDC token the function checks. */
  pushServiceAccountEmail: pulumi.Input<string>;
  /** `projects/P/serviceAccounts/EMAIL` of the push identity. */
  pushServiceAccountName: pulumi.Input<string>;
  /** `projects/P/topics/T` of the dead-letter topic. */
  deadLetterTopicId: pulumi.Input<string>;
  maxDeliveryAttempts: number;
  /** The Pub/Sub service agent. */
  pubsubAgentMember: pulumi.Input<string>;
  /** Seconds Pub/Sub waits for the function's answer; more than the function's timeout. */
  ackDeadlineSeconds: number;
  /** Exponential backoff between redeliveries, e.g. `10s` and `600s`. */
  minimumBackoff: string;
  maximumBackoff: string;
  /**
   * What must be in effect before the first push: the function's invoker grant (else every
   * push is a 403 that spends a delivery attempt) and the agent's publish grant on the
   * dead-letter topic (else dead-lettering fails).
   */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Our own push subscription to the ingest function (the one a function trigger makes cannot be
 * given a dead-letter topic): OIDC-authenticated, exponential backoff, dead-letter
 * topic after N attempts, and the two grants the Pub/Sub service agent needs for dead-lettering.
 */
export class PushSubscription extends pulumi.ComponentResource {
  readonly subscription: gcp.pubsub.Subscription;

  constructor(name: string, args: PushSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gca-analytics:infra:PushSubscription', name, {}, opts);
    // The agent mints the OIDC tokens of the push identity (granted by default only in projects
    // that enabled Pub/Sub after April 2021); scoped to that one service account. Created
    // before the subscription: a push without a token is refused and spends an attempt.
    const tokenCreator = new gcp.serviceaccount.IAMMember(
      `${name}-agent-token-creator`,
      {
        serviceAccountId: args.pushServiceAccountName,
        role: 'roles/iam.serviceAccountTokenCreator',
        member: args.pubsubAgentMember,
      },
      { parent: this },
    );
    this.subscription = new gcp.pubsub.Subscription(
      name,
      {
        project: args.project,
        name: args.subscriptionName,
        topic: args.topicId,
        ackDeadlineSeconds: args.ackDeadlineSeconds,
        pushConfig: {
          pushEndpoint: args.endpoint,
          oidcToken: {
            serviceAccountEmail: args.pushServiceAccountEmail,
            audience: args.endpoint,
          },
        },
        retryPolicy: { minimumBackoff: args.minimumBackoff, maximumBackoff: args.maximumBackoff },
        deadLetterPolicy: {
          deadLetterTopic: args.deadLetterTopicId,
          maxDeliveryAttempts: args.maxDeliveryAttempts,
        },
        // A live pipeline subscription must not expire when logs are quiet for a month.
        expirationPolicy: { ttl: '' },
      },
      { parent: this, dependsOn: [tokenCreator, ...(args.dependsOn ?? [])] },
    );
    // Dead-lettering acks the message on the source subscription: the agent must subscribe.
    new gcp.pubsub.SubscriptionIAMMember(
      `${name}-agent-subscriber`,
      {
        project: args.project,
        subscription: this.subscription.name,
        role: 'roles/pubsub.subscriber',
        member: args.pubsubAgentMember,
      },
      { parent: this },
    );
    this.registerOutputs({ subscription: this.subscription.id });
  }
}
