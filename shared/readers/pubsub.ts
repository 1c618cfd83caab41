/**
 * Decoders for what the `ingest` function receives from Pub/Sub: a push request body
 * (`{message, subscription}`) or a CloudEvent (`google.cloud.pubsub.topic.v1.messagePublished`)
 * in structured or binary mode. Each yields one record with the message's text, or throws a
 * PubsubDecodeError (permanent: the same bytes will never decode, so quarantine and ack).
 */
import type { z } from 'zod';
import { PermanentError } from '../errors';
import type { RawRecord } from '../pipeline/ingest';
import {
  CloudEventHeadersSchema,
  PubsubCloudEventSchema,
  PubsubPushBodySchema,
  PUBSUB_CLOUDEVENT_TYPE,
  type PubsubMessage,
} from '../schemas/pubsub';

/** One decoded Pub/Sub message: its data as text and where it came from. */
export interface PubsubRecord extends RawRecord {
  text: string;
  source: 'pubsub';
  messageId: string | null;
  /** When Pub/Sub published it (RFC 3339), for the publish-to-ingest age on the log line. */
  publishTime: string | null;
  /**
   * The push body's `deliveryAttempt` (set when the subscription has a dead-letter policy): 1
   * for a first delivery. Logged, so redeliveries show; null when absent.
   */
  deliveryAttempt: number | null;
}

/** What of a message could be read before decoding failed, for the quarantine row. */
export interface PubsubDecodeContext {
  messageId: string | null;
  /** The raw data (base64 as sent, or the body), for the quarantine row's `raw`. */
  raw: string;
}

/** A message that cannot be decoded: permanent, reason `invalid_message`. */
export class PubsubDecodeError extends PermanentError {
  readonly messageId: string | null;
  readonly raw: string;

  constructor(message: string, context: PubsubDecodeContext) {
    super('invalid_message', message);
    this.name = 'PubsubDecodeError';
    this.messageId = context.messageId;
    this.raw = context.raw;
  }
}

/** True for a PubsubDecodeError (a permanent error: quarantine the message, reason invalid_message). */
export function isPubsubDecodeError(err: unknown): err is PubsubDecodeError {
  return err instanceof PubsubDecodeError;
}

/** Headers as node's IncomingMessage (or functions-framework's Request) exposes them. */
export type HttpHeaders = Record<string, string | string[] | undefined>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid';
}

function safeStringify(v: unknown): string {
  try {
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

/** Body as JSON: an object passes through; a string or Buffer (raw body) is parsed. */
function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  try {
    return JSON.parse(text);
  } catch {
    throw new PubsubDecodeError('request body is not JSON', { messageId: null, raw: text });
  }
}

/** Base64 data of a message -> UTF-8 text; throws PubsubDecodeError. */
function decodeMessage(message: PubsubMessage, deliveryAttempt: number | null): PubsubRecord {
  const messageId = message.messageId ?? message.message_id ?? null;
  const data = message.data ?? '';
  const ctx = { messageId, raw: data };
  if (data === '') throw new PubsubDecodeError('message has no data', ctx);
  // Fast path, natively: canonical base64 (what Pub/Sub sends) encodes back to itself. Anything
  // else (whitespace, no padding, a stray character) is checked character by character.
  let bytes = Buffer.from(data, 'base64');
  if (bytes.toString('base64') !== data) {
    const compact = data.replace(/\s+/g, '');
    if (compact.length % 4 === 1 || !BASE64.test(compact)) {
      throw new PubsubDecodeError('message.data is not base64', ctx);
    }
    bytes = Buffer.from(compact, 'base64');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new PubsubDecodeError('message.data is not UTF-8 text', ctx);
  }
  return {
    text,
    source: 'pubsub',
    messageId,
    publishTime: message.publishTime ?? message.publish_time ?? null,
    deliveryAttempt,
  };
}

/**
 * Decodes a Pub/Sub push request body `{message: {data, attributes, messageId, publishTime},
 * subscription}` (an object, or the raw body as string/Buffer). Throws PubsubDecodeError.
 */
export function decodePushBody(body: unknown): PubsubRecord {
  const value = jsonBody(body);
  const parsed = PubsubPushBodySchema.safeParse(value);
  if (!parsed.success) {
    throw new PubsubDecodeError(`not a Pub/Sub push body: ${describeIssue(parsed.error)}`, {
      messageId: null,
      raw: safeStringify(value),
    });
  }
  return decodeMessage(parsed.data.message, parsed.data.deliveryAttempt ?? null);
}

function header(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function lowerCaseHeaders(headers: HttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const s = Array.isArray(v) ? v[0] : v;
    if (s !== undefined) out[k.toLowerCase()] = s;
  }
  return out;
}

/** True when the request carries a CloudEvent: binary (`ce-*` headers) or structured mode. */
export function isCloudEventRequest(headers: HttpHeaders, body: unknown): boolean {
  const h = lowerCaseHeaders(headers);
  if (h['ce-specversion'] !== undefined || h['ce-id'] !== undefined) return true;
  if ((h['content-type'] ?? '').startsWith('application/cloudevents+json')) return true;
  return typeof body === 'object' && body !== null && 'specversion' in body;
}

/**
 * Decodes a Pub/Sub CloudEvent: binary mode (attributes in `ce-*` headers, the body is the push
 * body `{message, subscription}`) or structured mode (`{specversion, id, type, source, data}`
 * with the push body as `data`). Throws PubsubDecodeError.
 */
export function decodeCloudEvent(headers: HttpHeaders, body: unknown): PubsubRecord {
  const h = lowerCaseHeaders(headers);
  const value = jsonBody(body);
  if (h['ce-specversion'] !== undefined || h['ce-id'] !== undefined) {
    const attrs = CloudEventHeadersSchema.safeParse(h);
    if (!attrs.success) {
      throw new PubsubDecodeError(`incomplete CloudEvent headers: ${describeIssue(attrs.error)}`, {
        messageId: header(headers, 'ce-id') ?? null,
        raw: safeStringify(value),
      });
    }
    if (attrs.data['ce-type'] !== PUBSUB_CLOUDEVENT_TYPE) {
      throw new PubsubDecodeError(`not a Pub/Sub CloudEvent: ce-type ${attrs.data['ce-type']}`, {
        messageId: attrs.data['ce-id'],
        raw: safeStringify(value),
      });
    }
    const record = decodePushBody(value);
    // The event id is the message id for Pub/Sub events; fill it if the message lacks one.
    return { ...record, messageId: record.messageId ?? attrs.data['ce-id'] };
  }
  const parsed = PubsubCloudEventSchema.safeParse(value);
  if (!parsed.success) {
    throw new PubsubDecodeError(`not a Pub/Sub CloudEvent: ${describeIssue(parsed.error)}`, {
      messageId: null,
      raw: safeStringify(value),
    });
  }
  if (parsed.data.type !== PUBSUB_CLOUDEVENT_TYPE) {
    throw new PubsubDecodeError(`not a Pub/Sub CloudEvent: type ${parsed.data.type}`, {
      messageId: parsed.data.id,
      raw: safeStringify(value),
    });
  }
  const record = decodeMessage(parsed.data.data.message, parsed.data.data.deliveryAttempt ?? null);
  return { ...record, messageId: record.messageId ?? parsed.data.id };
}

/** Decodes whatever Pub/Sub delivered: a CloudEvent (either mode) or a plain push body. */
export function decodePubsubRequest(headers: HttpHeaders, body: unknown): PubsubRecord {
  const value = jsonBody(body);
  return isCloudEventRequest(headers, value)
    ? decodeCloudEvent(headers, value)
    : decodePushBody(value);
}
