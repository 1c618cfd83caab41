import { hash } from 'node:crypto';

/** base64url SHA-256 of a string (UTF-8). One-shot `crypto.hash` is cheaper than createHash. */
export function sha256Base64Url(text: string): string {
  return hash('sha256', text, 'base64url');
}

/**
 * The dedup key of a log entry: base64url SHA-256 of `logName + "\n" + timestamp + "\n" +
 * (insertId ?? "")`, with the timestamp exactly as sent (not truncated: two entries a few
 * nanoseconds apart are different entries). Cloud Logging itself dedups on these three fields,
 * so a redelivered entry gets the same key and is stored once.
 */
export function entryKey(logName: string, timestamp: string, insertId?: string | null): string {
  return sha256Base64Url(`${logName}\n${timestamp}\n${insertId ?? ''}`);
}

/**
 * The id of a quarantine row: base64url SHA-256 of source, Pub/Sub message id, reason and the
 * whole raw input, so a redelivered bad message is stored once.
 */
export function quarantineId(
  source: string,
  messageId: string | null | undefined,
  reason: string,
  raw: string,
): string {
  return sha256Base64Url(`${source}\n${messageId ?? ''}\n${reason}\n${raw}`);
}
