/**
 * The DeadLetterPort over Pub/Sub's v1 clients (unary pull, acknowledge, modifyAckDeadline,
 * publish): the high-level Subscription streams and leases messages itself, which a peek that
 * must give every message back cannot use. PUBSUB_EMULATOR_HOST is honoured (the client's own
 * emulator detection, through getClientConfig).
 */
import type { DeadLetterMessage, DeadLetterPort } from '../shared/ops/dead-letters';

export interface DeadLetterTarget {
  projectId: string;
  /** Short name or full path of the dead-letter pull subscription. */
  subscription: string;
  /** Short name or full path of the main topic replays publish to. */
  topic: string;
}

export interface ClosablePort extends DeadLetterPort {
  subscriptionPath: string;
  topicPath: string;
  close(): Promise<void>;
}

function pathOf(projectId: string, kind: 'subscriptions' | 'topics', name: string): string {
  return name.startsWith('projects/') ? name : `projects/${projectId}/${kind}/${name}`;
}

function isoOf(t: { seconds?: unknown; nanos?: unknown } | null | undefined): string | null {
  if (!t) return null;
  const ms = Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

/** Opens the port; `clientOptions` go to the PubSub client (tests: apiEndpoint, emulatorMode). */
export async function openDeadLetterPort(
  target: DeadLetterTarget,
  clientOptions: Record<string, unknown> = {},
): Promise<ClosablePort> {
  // Lazy: the SDK loads only for these commands.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@google-cloud/pubsub') as typeof import('@google-cloud/pubsub');
  const pubsub = new sdk.PubSub({ projectId: target.projectId, ...clientOptions });
  const { port, ...raw } = await pubsub.getClientConfig();
  // The emulator's port comes back as a string; the v1 clients want a number.
  const config = { ...raw, ...(port !== undefined ? { port: Number(port) } : {}) };
  const subscriber = new sdk.v1.SubscriberClient(config);
  const publisher = new sdk.v1.PublisherClient(config);
  const subscription = pathOf(target.projectId, 'subscriptions', target.subscription);
  const topic = pathOf(target.projectId, 'topics', target.topic);
  return {
    subscriptionPath: subscription,
    topicPath: topic,
    async pull(max) {
      const [response] = await subscriber.pull(
        // returnImmediately: an empty subscription answers at once instead of waiting.
        { subscription, maxMessages: max, returnImmediately: true },
        { timeout: 60_000 },
      );
      return (response.receivedMessages ?? []).map((r): DeadLetterMessage => ({
        ackId: r.ackId ?? '',
        messageId: r.message?.messageId ?? '',
        data: Buffer.from(r.message?.data ?? new Uint8Array()),
        attributes: { ...(r.message?.attributes ?? {}) },
        publishTime: isoOf(r.message?.publishTime as { seconds?: unknown; nanos?: unknown }),
        deliveryAttempt: r.deliveryAttempt ?? null,
      }));
    },
    async acknowledge(ackIds) {
      if (ackIds.length > 0) await subscriber.acknowledge({ subscription, ackIds });
    },
    async release(ackIds) {
      if (ackIds.length > 0) {
        await subscriber.modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds: 0 });
      }
    },
    async publish(data, attributes) {
      const [response] = await publisher.publish({ topic, messages: [{ data, attributes }] });
      const id = response.messageIds?.[0];
      if (!id) throw new Error(`Pub/Sub returned no message id for a publish to ${topic}`);
      return id;
    },
    async close() {
      await Promise.allSettled([subscriber.close(), publisher.close(), pubsub.close()]);
    },
  };
}
