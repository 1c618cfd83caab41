import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LogEntrySchema } from '../../../shared/schemas/log-entry';
import { MetadataLogSchema } from '../../../shared/schemas/metadata-log';
import { PubsubCloudEventSchema, PubsubPushBodySchema } from '../../../shared/schemas/pubsub';
import { RequestLogSchema } from '../../../shared/schemas/request-log';
import { ResponseLogSchema } from '../../../shared/schemas/response-log';
import { Int64Schema, WireBoolSchema, toBool, toInt64 } from '../../../shared/schemas/scalars';

const FIXTURES = join(__dirname, '../../fixtures/spec');
const PAYLOAD_SCHEMAS = {
  request: RequestLogSchema,
  response: ResponseLogSchema,
  metadata: MetadataLogSchema,
} as const;

describe('wire schemas', () => {
  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))(
    'accept the spec sample %s, envelope and payload',
    (file) => {
      const entry = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as {
        logName: string;
        jsonPayload: unknown;
      };
      expect(LogEntrySchema.safeParse(entry).success).toBe(true);
      const log = entry.logName.slice(entry.logName.lastIndexOf('%2F') + 3);
      const schema = PAYLOAD_SCHEMAS[log as keyof typeof PAYLOAD_SCHEMAS];
      expect(schema.safeParse(entry.jsonPayload).success).toBe(true);
    },
  );

  it('keep unknown keys (loose objects)', () => {
    const parsed = MetadataLogSchema.parse({
      requestId: 'r',
      futureField: { x: 1 },
      codeExposure: { originalRequestId: 'o', newFlag: true },
    });
    expect(parsed.futureField).toEqual({ x: 1 });
    expect(parsed.codeExposure).toMatchObject({ newFlag: true });
    const entry = LogEntrySchema.parse({
      logName: 'l',
      timestamp: 't',
      trace: 'projects/p/traces/1',
      labels: { user_id: 'u', extra: 'e' },
    });
    expect(entry.trace).toBe('projects/p/traces/1');
    expect(entry.labels?.extra).toBe('e');
  });

  it.each([
    [15, 15],
    ['15', 15],
    [' 7 ', 7],
    [0, 0],
  ])('Int64 accepts %j as %j', (input, out) => {
    const parsed = Int64Schema.safeParse(input);
    expect(parsed.success && toInt64(parsed.data)).toBe(out);
  });

  it.each([-1, 1.5, 'abc', '1e3', '', '-2', true, null, '1234567890123456'])(
    'Int64 rejects %j',
    (input) => {
      expect(Int64Schema.safeParse(input).success).toBe(false);
    },
  );

  it('WireBool accepts booleans and their strings', () => {
    expect([true, false, 'true', 'FALSE'].map((v) => toBool(WireBoolSchema.parse(v)))).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(WireBoolSchema.safeParse('yes').success).toBe(false);
    expect(WireBoolSchema.safeParse(1).success).toBe(false);
  });

  it('describe the Pub/Sub push body and the structured CloudEvent', () => {
    const body = {
      message: { data: 'e30=', messageId: '1', attributes: { a: 'b' } },
      subscription: 's',
    };
    expect(PubsubPushBodySchema.safeParse(body).success).toBe(true);
    expect(PubsubPushBodySchema.safeParse({ message: { data: 5 } }).success).toBe(false);
    const event = {
      specversion: '1.0',
      id: '1',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/p/topics/t',
      data: body,
    };
    expect(PubsubCloudEventSchema.safeParse(event).success).toBe(true);
    expect(PubsubCloudEventSchema.safeParse({ ...event, id: undefined }).success).toBe(false);
  });
});
