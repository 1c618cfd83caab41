import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PermanentError } from '../../../shared/errors';
import {
  PubsubDecodeError,
  decodeCloudEvent,
  decodePubsubRequest,
  decodePushBody,
  isCloudEventRequest,
} from '../../../shared/readers/pubsub';

const entryText = readFileSync(
  join(__dirname, '../../fixtures/spec/metadata-chat-acceptance.json'),
  'utf8',
);
const data = Buffer.from(entryText, 'utf8').toString('base64');

/** A push body as Pub/Sub sends it (both id and time spellings). */
const pushBody = {
  message: {
    attributes: { 'logging.googleapis.com/timestamp': '2025-08-25T09:34:01.240377123Z' },
    data,
    messageId: '11937923097352347',
    message_id: '11937923097352347',
    publishTime: '2025-08-25T09:34:02.001Z',
    publish_time: '2025-08-25T09:34:02.001Z',
  },
  subscription: 'projects/my-project-id/subscriptions/gca-logs-ingest',
};

const ceHeaders = {
  'ce-id': '11937923097352347',
  'ce-specversion': '1.0',
  'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
  'ce-source': '//pubsub.googleapis.com/projects/my-project-id/topics/gca-logs',
  'ce-time': '2025-08-25T09:34:02.001Z',
  'content-type': 'application/json',
};

const structured = {
  specversion: '1.0',
  id: '11937923097352347',
  type: 'google.cloud.pubsub.topic.v1.messagePublished',
  source: '//pubsub.googleapis.com/projects/my-project-id/topics/gca-logs',
  time: '2025-08-25T09:34:02.001Z',
  datacontenttype: 'application/json',
  data: pushBody,
};

const expected = {
  text: entryText,
  source: 'pubsub',
  messageId: '11937923097352347',
  publishTime: '2025-08-25T09:34:02.001Z',
  deliveryAttempt: null,
};

describe('Pub/Sub decoders', () => {
  it('decodes a push body', () => {
    expect(decodePushBody(pushBody)).toEqual(expected);
  });

  it('reads deliveryAttempt from a push body and from a CloudEvent carrying one', () => {
    const body = { ...pushBody, deliveryAttempt: 3 };
    expect(decodePushBody(body).deliveryAttempt).toBe(3);
    expect(decodeCloudEvent({}, { ...structured, data: body }).deliveryAttempt).toBe(3);
    expect(decodeCloudEvent(ceHeaders, body).deliveryAttempt).toBe(3);
  });

  it('refuses a CloudEvent of another type (structured or binary), keeping its id', () => {
    const other = 'google.cloud.storage.object.v1.finalized';
    for (const decode of [
      () => decodeCloudEvent({}, { ...structured, type: other }),
      () => decodeCloudEvent({ ...ceHeaders, 'ce-type': other }, pushBody),
    ]) {
      expect(decode).toThrow(PubsubDecodeError);
      expect(decode).toThrow(`not a Pub/Sub CloudEvent`);
      try {
        decode();
      } catch (err) {
        expect((err as PubsubDecodeError).messageId).toBe('11937923097352347');
      }
    }
  });

  it('decodes a push body given as raw text or a Buffer', () => {
    expect(decodePushBody(JSON.stringify(pushBody))).toEqual(expected);
    expect(decodePushBody(Buffer.from(JSON.stringify(pushBody)))).toEqual(expected);
  });

  it('accepts the snake_case spellings alone', () => {
    const { messageId: _a, publishTime: _b, ...rest } = pushBody.message;
    expect(decodePushBody({ message: rest })).toEqual(expected);
  });

  it('decodes a binary-mode CloudEvent (ce-* headers, push body as the body)', () => {
    expect(decodeCloudEvent(ceHeaders, pushBody)).toEqual(expected);
    expect(isCloudEventRequest(ceHeaders, pushBody)).toBe(true);
  });

  it('decodes a structured-mode CloudEvent', () => {
    const headers = { 'content-type': 'application/cloudevents+json; charset=utf-8' };
    expect(decodeCloudEvent(headers, structured)).toEqual(expected);
    expect(decodePubsubRequest(headers, JSON.stringify(structured))).toEqual(expected);
  });

  it('takes the message id from the event when the message lacks one', () => {
    const { messageId: _a, message_id: _b, ...message } = pushBody.message;
    const record = decodeCloudEvent(ceHeaders, { ...pushBody, message });
    expect(record.messageId).toBe('11937923097352347');
  });

  it('auto-detects push bodies and CloudEvents', () => {
    expect(decodePubsubRequest({ 'content-type': 'application/json' }, pushBody)).toEqual(expected);
    expect(decodePubsubRequest(ceHeaders, pushBody)).toEqual(expected);
    expect(decodePubsubRequest({}, structured)).toEqual(expected);
  });

  const bad: [string, () => unknown, string][] = [
    ['a body that is not JSON', () => decodePushBody('{nope'), 'not JSON'],
    ['a body without message', () => decodePushBody({ subscription: 's' }), 'message'],
    ['no data', () => decodePushBody({ message: { messageId: 'm1' } }), 'no data'],
    [
      'data that is not base64',
      () => decodePushBody({ message: { data: '***', messageId: 'm1' } }),
      'not base64',
    ],
    [
      'data that is not UTF-8',
      () =>
        decodePushBody({ message: { data: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') } }),
      'not UTF-8',
    ],
    [
      'a CloudEvent missing its type header',
      () => decodeCloudEvent({ 'ce-id': 'x', 'ce-specversion': '1.0' }, pushBody),
      'ce-type',
    ],
    [
      'a structured CloudEvent without data',
      () => decodeCloudEvent({}, { ...structured, data: undefined }),
      'data',
    ],
  ];

  it.each(bad)('rejects %s with a permanent, typed error', (_name, run, message) => {
    let caught: unknown;
    try {
      run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PubsubDecodeError);
    expect(caught).toBeInstanceOf(PermanentError);
    const err = caught as PubsubDecodeError;
    expect(err.reason).toBe('invalid_message');
    expect(err.message).toContain(message);
  });

  it('keeps the message id and raw data on the error, for the quarantine row', () => {
    try {
      decodePushBody({ message: { data: '***', messageId: 'm1' } });
      throw new Error('did not throw');
    } catch (err) {
      expect(err).toMatchObject({ messageId: 'm1', raw: '***' });
    }
  });
});
