import { z } from 'zod';

/**
 * A Pub/Sub message as push delivery and the CloudEvent carry it. Both spellings of the ids and
 * times occur (push writes both `messageId` and `message_id`); `data` is base64 and may be
 * absent for an attributes-only message.
 *
 * Field lists mirror Pub/Sub's push and CloudEvent formats, one line a field: alike other
 * schemas by shape only.
 */
export const PubsubMessageSchema = z.looseObject({
  data: z.string().nullish(),
  attributes: z.record(z.string(), z.string()).nullish(),
  messageId: z.string().nullish(),
  message_id: z.string().nullish(),
  publishTime: z.string().nullish(),
  publish_time: z.string().nullish(),
  orderingKey: z.string().nullish(),
});
export type PubsubMessage = z.infer<typeof PubsubMessageSchema>;

/** The body of a Pub/Sub push request: `{message, subscription}` (also a CloudEvent's data). */
export const PubsubPushBodySchema = z.looseObject({
  message: PubsubMessageSchema,
  subscription: z.string().nullish(),
  deliveryAttempt: z.number().nullish(),
});
export type PubsubPushBody = z.infer<typeof PubsubPushBodySchema>;

/** The CloudEvent type of a Pub/Sub message (Eventarc, 2nd-gen function triggers). */
export const PUBSUB_CLOUDEVENT_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

/**
 * A Pub/Sub CloudEvent in structured mode (`Content-Type: application/cloudevents+json`): the
 * attributes in the body and the push body as `data`.
 */
// One line a field of the CloudEvents spec: alike other schemas by shape only.
export const PubsubCloudEventSchema = z.looseObject({
  specversion: z.string(),
  id: z.string(),
  type: z.string(),
  source: z.string(),
  time: z.string().nullish(),
  subject: z.string().nullish(),
  datacontenttype: z.string().nullish(),
  data: PubsubPushBodySchema,
});
export type PubsubCloudEvent = z.infer<typeof PubsubCloudEventSchema>;

/** The CloudEvent attributes of a binary-mode request, read from its `ce-*` headers. */
export const CloudEventHeadersSchema = z.looseObject({
  'ce-specversion': z.string(),
  'ce-id': z.string(),
  'ce-type': z.string(),
  'ce-source': z.string(),
  'ce-time': z.string().nullish(),
  'ce-subject': z.string().nullish(),
});
export type CloudEventHeaders = z.infer<typeof CloudEventHeadersSchema>;
