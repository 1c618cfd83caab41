/**
 * Property: whatever Pub/Sub (or anyone) POSTs to `ingest`, the answer is 200 with exactly one
 * outcome counted (never a 5xx that would make Pub/Sub retry a poison message forever, never a
 * crash), and a second delivery of the same body adds nothing.
 */
import fc from 'fast-check';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { createDepsProvider, type DepsProvider } from '../../shared/deps';
import { createLogger } from '../../shared/log';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { makeLocalSetup, pushBody, type LocalSetup } from './helpers';

let setup: LocalSetup;
let deps: DepsProvider;

beforeAll(() => {
  setup = makeLocalSetup();
  deps = createDepsProvider(setup.config);
  http(
    'ingest_properties',
    createIngestHandler(setup.config, { deps, logger: createLogger({ write: () => undefined }) }),
  );
});

afterAll(async () => {
  await deps.close();
  setup.cleanup();
});

/**
 * Bodies: arbitrary JSON objects and arrays (functions-framework's JSON parser answers 400 to a
 * bare scalar before our code runs; Pub/Sub never sends one), push bodies with arbitrary data,
 * and mangled real entries.
 */
const bodies = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue()),
  fc.array(fc.jsonValue()),
  fc.string().map((s) => ({ message: { data: s, messageId: 'x' } })),
  fc.string().map((s) => pushBody(s, 'x')),
  fc.record({ key: fc.string({ minLength: 1 }), value: fc.jsonValue() }).map(({ key, value }) => {
    const entry = makeMetadataEntry('codeExposure', { originalRequestId: 'p' });
    return pushBody(entryText({ ...entry, [key]: value }), 'x');
  }),
);

it('answers 200 with one outcome for any body, and a redelivery adds nothing', async () => {
  const server = getTestServer('ingest_properties');
  await fc.assert(
    fc.asyncProperty(bodies, async (body) => {
      // supertest sends JSON for objects and arrays; scalars go out as JSON text.
      const send = (b: unknown) =>
        request(server).post('/').set('content-type', 'application/json').send(JSON.stringify(b));
      const first = await send(body);
      expect(first.status).toBe(200);
      const c = first.body.counts;
      expect(c.read).toBe(1);
      expect(c.normalized + c.duplicates + c.quarantined + c.skipped).toBe(1);
      const again = await send(body);
      expect(again.status).toBe(200);
      expect(again.body.counts.normalized + again.body.counts.quarantined).toBe(0);
    }),
    { numRuns: 25, seed: 4242 },
  );
});
