/**
 * Dead letters: messages the push subscription gave up on (the `ingest` function failed them
 * `maxDeliveryAttempts` times, always a transient failure or a crash: bad input is quarantined
 * and acked) sit in the dead-letter topic's pull subscription. Listing peeks without losing
 * anything (pull, then make them available again at once); replay republishes each to the main
 * topic, with the same data and attributes, and acks it only after the publish succeeded, so a
 * failure at any point leaves the message in one of the two places, never in neither. The
 * replayed copy goes through the live push path; its entry key dedups it against anything the
 * live path already stored, so replaying twice changes no figure.
 *
 * Messages of erased users (see erased-users.ts) are acked without being republished: dropped
 * and counted, never brought back.
 */
import { normalizeText } from '../normalize/normalize';
import type { NormalizeContext } from '../normalize/outcome';
import { NO_ERASED_USERS, isOfErasedUser, type ErasedUsers } from './erased-users';

/** One pulled message of the dead-letter subscription. */
export interface DeadLetterMessage {
  ackId: string;
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  /** When it was published to the dead-letter topic (ISO), if known. */
  publishTime: string | null;
  /** Delivery attempts on the dead-letter subscription, if known. */
  deliveryAttempt: number | null;
}

/** The Pub/Sub calls dead-letter handling needs (an adapter over the v1 clients, or a test's). */
export interface DeadLetterPort {
  /** Pulls up to `max` messages; an empty array when none is waiting. */
  pull(max: number): Promise<DeadLetterMessage[]>;
  acknowledge(ackIds: string[]): Promise<void>;
  /** Makes pulled messages deliverable again at once (modifyAckDeadline 0). */
  release(ackIds: string[]): Promise<void>;
  /** Publishes to the main topic; resolves to the new message id once Pub/Sub has it. */
  publish(data: Buffer, attributes: Record<string, string>): Promise<string>;
}

/**
 * Attributes Pub/Sub adds when it dead-letters a message: the source subscription and the
 * delivery count there, and when the original was published.
 */
export const DEAD_LETTER_ATTRIBUTES = {
  sourceSubscription: 'CloudPubSubDeadLetterSourceSubscription',
  sourceDeliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
  sourcePublishTime: 'CloudPubSubDeadLetterSourceTopicPublishTime',
} as const;

export interface DeadLetterSample {
  messageId: string;
  /** When the original message was published (the dead-letter attribute), else when it was dead-lettered. */
  publishTime: string | null;
  /** Deliveries to the push subscription before Pub/Sub gave up, when recorded. */
  deliveries: number | null;
  /** What today's code makes of it: why it may have failed, and whether a replay would write it. */
  reason: string;
  bytes: number;
}

export interface DeadLetterListing {
  count: number;
  /** True when the listing stopped at `max` (there may be more). */
  truncated: boolean;
  oldest: string | null;
  samples: DeadLetterSample[];
}

function originalPublishTime(m: DeadLetterMessage): string | null {
  const attr = m.attributes[DEAD_LETTER_ATTRIBUTES.sourcePublishTime];
  if (attr && !Number.isNaN(Date.parse(attr))) return new Date(attr).toISOString();
  return m.publishTime;
}

/** One line on what a dead-lettered message holds, by re-normalizing it (no content). */
export function diagnose(data: Buffer, ctx: NormalizeContext): string {
  const outcome = normalizeText(data.toString('utf8'), ctx);
  switch (outcome.kind) {
    case 'skipped':
      return `another resource type (${outcome.reason}): a replay skips it`;
    case 'quarantined':
      return `would be quarantined now: ${outcome.reason}`;
    default:
      return `a valid ${outcome.kind} entry: it failed transiently; a replay writes it`;
  }
}

/**
 * Counts the waiting messages (up to `max`), finds the oldest and describes the first `samples`,
 * then releases every message pulled: nothing is consumed.
 */
export async function listDeadLetters(
  port: DeadLetterPort,
  opts: { context: NormalizeContext; max?: number; samples?: number; pullSize?: number },
): Promise<DeadLetterListing> {
  const max = opts.max ?? 10_000;
  const pullSize = opts.pullSize ?? 500;
  const held: string[] = [];
  const seen = new Set<string>();
  const samples: DeadLetterSample[] = [];
  let oldest: string | null = null;
  let truncated = false;
  try {
    for (;;) {
      if (seen.size >= max) {
        truncated = true;
        break;
      }
      const batch = await port.pull(Math.min(pullSize, max - seen.size));
      if (batch.length === 0) break;
      let fresh = 0;
      for (const m of batch) {
        held.push(m.ackId);
        // A redelivery of one already held (an expired lease) is not counted twice.
        if (seen.has(m.messageId)) continue;
        seen.add(m.messageId);
        fresh++;
        const published = originalPublishTime(m);
        if (published !== null && (oldest === null || published < oldest)) oldest = published;
        if (samples.length < (opts.samples ?? 5)) {
          const count = Number(m.attributes[DEAD_LETTER_ATTRIBUTES.sourceDeliveryCount]);
          samples.push({
            messageId: m.messageId,
            publishTime: published,
            deliveries: Number.isFinite(count) ? count : null,
            reason: diagnose(m.data, opts.context),
            bytes: m.data.length,
          });
        }
      }
      if (fresh === 0) break;
    }
  } finally {
    for (let i = 0; i < held.length; i += 1000) await port.release(held.slice(i, i + 1000));
  }
  return { count: seen.size, truncated, oldest, samples };
}

export interface ReplayCounts {
  /** Messages pulled. */
  pulled: number;
  /** Republished to the main topic, then acked. */
  republished: number;
  /** Of erased users: acked, not republished. */
  erased: number;
  /** Released back to the dead-letter subscription (over the limit, or after a failed publish). */
  released: number;
}

/**
 * Replays up to `limit` dead letters (see the module comment). A publish failure releases the
 * message it was for and every message not yet handled, then throws: what was acked had been
 * republished, what was not is still in the dead-letter subscription.
 *
 * An operation's options, as each operation takes them (see reprocessQuarantine).
 */
export async function replayDeadLetters(
  port: DeadLetterPort,
  opts: {
    context: NormalizeContext;
    limit?: number;
    erased?: ErasedUsers;
    pullSize?: number;
    onMessage?: (counts: ReplayCounts) => void;
  },
): Promise<ReplayCounts> {
  const erased = opts.erased ?? NO_ERASED_USERS;
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const pullSize = opts.pullSize ?? 100;
  const counts: ReplayCounts = { pulled: 0, republished: 0, erased: 0, released: 0 };
  let handled = 0;
  while (handled < limit) {
    const batch = await port.pull(Math.min(pullSize, limit - handled));
    if (batch.length === 0) break;
    counts.pulled += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i] as DeadLetterMessage;
      if (handled >= limit) {
        const rest = batch.slice(i).map((r) => r.ackId);
        await port.release(rest);
        counts.released += rest.length;
        break;
      }
      try {
        if (isOfErasedUser(m.data.toString('utf8'), erased, opts.context)) {
          await port.acknowledge([m.ackId]);
          counts.erased++;
        } else {
          await port.publish(m.data, m.attributes);
          await port.acknowledge([m.ackId]);
          counts.republished++;
        }
      } catch (err) {
        const rest = batch.slice(i).map((r) => r.ackId);
        await port.release(rest).catch(() => undefined);
        counts.released += rest.length;
        throw Object.assign(
          new Error(
            `replay stopped at message ${m.messageId}: ${err instanceof Error ? err.message : String(err)}`,
          ),
          { counts },
        );
      }
      handled++;
      opts.onMessage?.({ ...counts });
    }
  }
  return counts;
}
