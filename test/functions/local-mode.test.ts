/**
 * Local mode gives the CLI's figures: the same entries POSTed one by one as Pub/Sub push bodies
 * to `ingest` (GCA_WAREHOUSE=duckdb:..., GCA_STATE=local:...), then `recompute` called over HTTP,
 * give the same report as ingesting them through the CLI path (`ingestRecords` + `runRecompute`).
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { createRecomputeHandler } from '../../functions/handlers/recompute';
import { createDeps } from '../../shared/deps';
import { runRecompute } from '../../shared/jobs/recompute';
import { createLogger } from '../../shared/log';
import { ingestRecords } from '../../shared/pipeline/ingest';
import { generateSample } from '../../cli/sample/generate';
import { makeLocalSetup, pushBody, reportOf, type LocalSetup } from './helpers';

const ENTRIES = [
  ...generateSample({
    seed: 11,
    users: 6,
    days: 3,
    entries: 80,
    duplicateRate: 0.08,
    lateAcceptanceRate: 0.1,
    orphanRate: 0.05,
    malformedRate: 0.05,
    foreignRate: 0.05,
  }),
].map((e) => JSON.stringify(e));
const NOW = () => new Date('2025-10-20T00:00:00.000Z');

let functionsSide: LocalSetup;
let cliSide: LocalSetup;

beforeAll(() => {
  functionsSide = makeLocalSetup();
  cliSide = makeLocalSetup();
});

afterAll(() => {
  functionsSide.cleanup();
  cliSide.cleanup();
});

it('POSTing push bodies to ingest, then recompute, gives the report of the CLI path', async () => {
  const silent = createLogger({ write: () => undefined });
  http(
    'ingest_local_mode',
    createIngestHandler(functionsSide.config, { logger: silent, now: NOW }),
  );
  http(
    'recompute_local_mode',
    createRecomputeHandler(functionsSide.config, { logger: silent, now: NOW }),
  );
  const ingest = getTestServer('ingest_local_mode');
  for (const [i, text] of ENTRIES.entries()) {
    const res = await request(ingest)
      .post('/')
      .send(pushBody(text, `local-${i}`));
    expect(res.status).toBe(200);
  }
  const rc = await request(getTestServer('recompute_local_mode')).post('/');
  expect(rc.status).toBe(200);
  expect(rc.body.status).toBe('ok');

  const cli = await createDeps(cliSide.config);
  try {
    const counts = await ingestRecords(
      ENTRIES.map((text, i) => ({ text, source: `file:sample.jsonl#${i + 1}` })),
      cli.warehouse,
      { context: { ingestTime: NOW().toISOString(), contentMode: cliSide.config.contentMode } },
    );
    expect(counts.read).toBe(ENTRIES.length);
    expect(counts.quarantined).toBeGreaterThan(0);
    expect(counts.skipped).toBeGreaterThan(0);
    expect(counts.duplicates).toBeGreaterThan(0);
    const result = await runRecompute({ warehouse: cli.warehouse, state: cli.state, now: NOW });
    expect(result.status).toBe('done');
  } finally {
    await cli.warehouse.close();
    await cli.state.close();
  }

  const viaFunctions = await reportOf(functionsSide);
  const viaCli = await reportOf(cliSide);
  expect(viaFunctions.total.exposed).toBeGreaterThan(5);
  expect(viaFunctions.total.accepted).toBeGreaterThan(0);
  expect(viaFunctions.rows.quarantined).toBeGreaterThan(0);
  expect(viaFunctions).toEqual(viaCli);
});
