/**
 * The Pub/Sub names a stack gives its log topic and subscriptions, from its
 * `gca-analytics:namePrefix`: the empty prefix gives the first release's names (`gca-logs`,
 * `gca-logs-dead-letter-pull`), `dev` gives `dev-gca-logs`, `dev-gca-logs-dead-letter-pull`.
 * infra/naming.ts builds the stack's names from this, and `gca-analytics dead-letters
 * --name-prefix P` derives the same names without loading Pulumi.
 */

/**
 * At most 6 lowercase letters or digits, starting with a letter (or empty): the longest service
 * account id, `gca-retention-scheduler` (23 characters), plus the prefix and a hyphen must fit
 * IAM's 30 (infra/naming.ts).
 */
export const NAME_PREFIX_PATTERN = /^([a-z][a-z0-9]{0,5})?$/;

export interface PubsubNames {
  /** The topic the log sink publishes to; `dead-letters replay` republishes here. */
  topic: string;
  deadLetterTopic: string;
  /** The pull subscription on the dead-letter topic that `dead-letters` reads. */
  deadLetterSubscription: string;
  /** The push subscription that delivers to the ingest function. */
  pushSubscription: string;
}

/** `base` with the stack's prefix and a hyphen ('' prefix: `base` itself). */
export function prefixedName(prefix: string, base: string): string {
  return prefix ? `${prefix}-${base}` : base;
}

/** The Pub/Sub names of a stack. Throws when the prefix is not one `NAME_PREFIX_PATTERN` takes. */
export function pubsubNames(prefix: string): PubsubNames {
  if (!NAME_PREFIX_PATTERN.test(prefix)) {
    throw new Error(`namePrefix ${JSON.stringify(prefix)} must match ${NAME_PREFIX_PATTERN}`);
  }
  return {
    topic: prefixedName(prefix, 'gca-logs'),
    deadLetterTopic: prefixedName(prefix, 'gca-logs-dead-letter'),
    deadLetterSubscription: prefixedName(prefix, 'gca-logs-dead-letter-pull'),
    pushSubscription: prefixedName(prefix, 'gca-logs-ingest-push'),
  };
}
