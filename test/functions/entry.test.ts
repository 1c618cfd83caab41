/**
 * The entry modules as functions-framework loads them: `functions/index` registers the three
 * targets from the environment; a bad environment fails at import with a message naming the
 * variable.
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { startupConfig } from '../../functions/handlers/startup';
import { ConfigError } from '../../shared/config';
import { entryText, makeMetadataEntry } from '../helpers/entries';
import { makeLocalSetup, pushBody, rawTableCounts, type LocalSetup } from './helpers';

let setup: LocalSetup;
const saved = { ...process.env };

beforeAll(() => {
  setup = makeLocalSetup();
  Object.assign(process.env, setup.env);
  // The entry modules parse process.env at import, as in a function instance.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../functions/index');
});

afterAll(() => {
  process.env = saved;
  setup.cleanup();
});

describe('functions/index', () => {
  it('registers ingest, recompute and retention', async () => {
    const entry = makeMetadataEntry('codeExposure', { originalRequestId: 'e-1' });
    const res = await request(getTestServer('ingest'))
      .post('/')
      .send(pushBody(entryText(entry), 'entry-1'));
    expect(res.status).toBe(200);
    expect(await rawTableCounts(setup.dbPath)).toMatchObject({ metadata_events: 1 });
    for (const target of ['recompute', 'retention']) {
      const get = await request(getTestServer(target)).get('/');
      expect(get.status).toBe(405);
    }
  });
});

describe('start-up with a bad environment', () => {
  it('fails at import, naming the variable, with one structured log line', () => {
    const lines: string[] = [];
    expect(() =>
      startupConfig('ingest', { ...setup.env, GCA_CONTENT_MODE: 'everything' }, (l) =>
        lines.push(l),
      ),
    ).toThrow(ConfigError);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(line).toMatchObject({ severity: 'ERROR', component: 'ingest' });
    expect(line.issues).toEqual([
      'GCA_CONTENT_MODE: expected one of: full, scrubbed, metadata-only (got "everything")',
    ]);
  });

  it('an entry module throws the ConfigError when imported', () => {
    const before = { ...process.env };
    process.env.GCA_WAREHOUSE = 'sqlite:/tmp/x';
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        expect(() => require('../../functions/recompute')).toThrow(
          /GCA_WAREHOUSE: expected 'bigquery' or 'duckdb:PATH'/,
        );
      });
      expect(String(stderr.mock.calls[0]?.[0])).toContain('"component":"recompute"');
    } finally {
      stderr.mockRestore();
      process.env = before;
    }
  });
});
