/**
 * Optional pseudonymous users: `user_id` replaced by a keyed HMAC-SHA256 of it, so per-user
 * figures (active users, acceptance per user) still work while the warehouse holds no email.
 * The same key gives the same pseudonym in every run and every process; without the key the
 * mapping cannot be recomputed or reversed (unlike a plain hash of an email, which a dictionary
 * of the company's addresses reverses in seconds).
 *
 * The key comes from configuration: `GCA_PSEUDONYMIZE_KEY` (Secret Manager in the cloud), or a
 * key file for the CLI. Losing the key means new rows get different pseudonyms from old ones;
 * rotating it is therefore a deliberate break of per-user history.
 */
import { createHmac } from 'node:crypto';

/** Prefix that marks a pseudonym, so it is never mistaken for (or erased as) a real id. */
export const PSEUDONYM_PREFIX = 'u_';
/** Base64url characters of the digest kept: 22 chars = 132 bits, no practical collisions. */
export const PSEUDONYM_CHARS = 22;
/** A key shorter than this (bytes) is refused: an HMAC key must not be guessable. */
export const MIN_PSEUDONYMIZE_KEY_BYTES = 16;

/** The pseudonymization key is missing or too short. Carries no key material. */
export class PseudonymizeKeyError extends Error {
  override readonly name = 'PseudonymizeKeyError';
}

/** True for a value that `createPseudonymizer` produced (format check only). */
export function isPseudonym(value: string): boolean {
  return (
    value.length === PSEUDONYM_PREFIX.length + PSEUDONYM_CHARS &&
    value.startsWith(PSEUDONYM_PREFIX) &&
    /^[A-Za-z0-9_-]+$/.test(value.slice(PSEUDONYM_PREFIX.length))
  );
}

/**
 * Returns a function mapping a user id to `u_` + 22 base64url characters of
 * HMAC-SHA256(key, userId). Deterministic for a key; distinct keys give unrelated pseudonyms.
 * A string key is used as its UTF-8 bytes (surrounding whitespace, e.g. a key file's trailing
 * newline, is trimmed). Throws PseudonymizeKeyError for a key shorter than 16 bytes.
 */
export function createPseudonymizer(key: string | Buffer): (userId: string) => string {
  const keyBytes = typeof key === 'string' ? Buffer.from(key.trim(), 'utf8') : Buffer.from(key);
  if (keyBytes.length < MIN_PSEUDONYMIZE_KEY_BYTES) {
    throw new PseudonymizeKeyError(
      `the pseudonymization key must be at least ${MIN_PSEUDONYMIZE_KEY_BYTES} bytes`,
    );
  }
  return (userId: string): string =>
    PSEUDONYM_PREFIX +
    createHmac('sha256', keyBytes)
      .update(userId, 'utf8')
      .digest('base64url')
      .slice(0, PSEUDONYM_CHARS);
}
