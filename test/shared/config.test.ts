import {
  ConfigError,
  ENV_VARS,
  LOG_ENV,
  parseConfig,
  parseEnv,
  PRIVACY_ENV,
  RETENTION_ENV,
  stateEnv,
  warehouseEnv,
} from '../../shared/config';
import { DEFAULT_BIGQUERY_LOOKBACK_DAYS } from '../../shared/jobs/recompute';
import { DEFAULT_RETENTION_POLICY } from '../../shared/state/port';

const LOCAL = { GCA_WAREHOUSE: 'duckdb:/tmp/gca.duckdb', GCA_STATE: 'local:/tmp/gca.state.json' };

function issuesOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('defaults to the cloud adapters with a project', () => {
    const config = parseConfig({ GOOGLE_CLOUD_PROJECT: 'acme-analytics' });
    expect(config).toEqual({
      warehouse: { kind: 'bigquery' },
      state: { kind: 'firestore' },
      projectId: 'acme-analytics',
      rawDataset: 'gca_raw',
      analyticsDataset: 'gca_analytics',
      bqLocation: 'US',
      firestoreDatabase: '(default)',
      firestoreCollection: 'gca_state',
      contentMode: 'scrubbed',
      pseudonymizeKey: null,
      recomputeLookbackDays: DEFAULT_BIGQUERY_LOOKBACK_DAYS,
      retentionDefaults: DEFAULT_RETENTION_POLICY,
      logLevel: 'INFO',
    });
  });

  it('accepts GCP_PROJECT as the project, GOOGLE_CLOUD_PROJECT winning', () => {
    expect(parseConfig({ GCP_PROJECT: 'p1' }).projectId).toBe('p1');
    expect(parseConfig({ GCP_PROJECT: 'p1', GOOGLE_CLOUD_PROJECT: 'p2' }).projectId).toBe('p2');
  });

  it('parses local mode without a project', () => {
    const config = parseConfig(LOCAL);
    expect(config.warehouse).toEqual({ kind: 'duckdb', path: '/tmp/gca.duckdb' });
    expect(config.state).toEqual({ kind: 'local', path: '/tmp/gca.state.json' });
    expect(config.projectId).toBeNull();
  });

  it('parses every variable', () => {
    const config = parseConfig({
      ...LOCAL,
      GCA_RAW_DATASET: 'raw_dev',
      GCA_ANALYTICS_DATASET: 'analytics_dev',
      GCA_BQ_LOCATION: 'europe-west1',
      GCA_FIRESTORE_DATABASE: 'gca-state',
      GCA_FIRESTORE_COLLECTION: 'gca_state_dev',
      GCA_CONTENT_MODE: 'metadata-only',
      GCA_PSEUDONYMIZE_KEY: 'a-secret-of-32-characters-length',
      GCA_RECOMPUTE_LOOKBACK_DAYS: '7',
      GCA_CONTENT_DAYS: '14',
      GCA_EVENT_DAYS: '365',
      GCA_QUARANTINE_DAYS: '60',
      GCA_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      rawDataset: 'raw_dev',
      analyticsDataset: 'analytics_dev',
      bqLocation: 'europe-west1',
      firestoreDatabase: 'gca-state',
      firestoreCollection: 'gca_state_dev',
      contentMode: 'metadata-only',
      pseudonymizeKey: 'a-secret-of-32-characters-length',
      recomputeLookbackDays: 7,
      retentionDefaults: { contentDays: 14, eventDays: 365, quarantineDays: 60 },
      logLevel: 'DEBUG',
    });
  });

  it('treats empty values as unset', () => {
    const config = parseConfig({ ...LOCAL, GCA_CONTENT_MODE: '', GCA_LOG_LEVEL: '  ' });
    expect(config.contentMode).toBe('scrubbed');
    expect(config.logLevel).toBe('INFO');
  });

  it('reads nothing but its own variables', () => {
    const config = parseConfig({ ...LOCAL, HOME: '/root', GCA_UNKNOWN: 'x' });
    expect(config.warehouse.kind).toBe('duckdb');
    expect(ENV_VARS).toContain('GCA_WAREHOUSE');
  });

  // A table of cases: one row per variable and bad value, alike by design.
  it.each([
    ['GCA_WAREHOUSE', 'postgres', "GCA_WAREHOUSE: expected 'bigquery' or 'duckdb:PATH'"],
    ['GCA_WAREHOUSE', 'duckdb:', "GCA_WAREHOUSE: expected 'bigquery' or 'duckdb:PATH'"],
    ['GCA_STATE', 'redis', "GCA_STATE: expected 'firestore' or 'local:PATH'"],
    [
      'GCA_CONTENT_MODE',
      'none',
      'GCA_CONTENT_MODE: expected one of: full, scrubbed, metadata-only',
    ],
    ['GCA_RAW_DATASET', 'gca-raw', 'GCA_RAW_DATASET: expected a BigQuery dataset id'],
    ['GCA_BQ_LOCATION', 'us central', 'GCA_BQ_LOCATION: expected a BigQuery location'],
    [
      'GCA_RECOMPUTE_LOOKBACK_DAYS',
      'three',
      'GCA_RECOMPUTE_LOOKBACK_DAYS: expected a whole number',
    ],
    [
      'GCA_RECOMPUTE_LOOKBACK_DAYS',
      '0',
      'GCA_RECOMPUTE_LOOKBACK_DAYS: expected a whole number between 1 and 3650',
    ],
    ['GCA_EVENT_DAYS', '-5', 'GCA_EVENT_DAYS: expected a whole number between 1 and 36500'],
    ['GCA_CONTENT_DAYS', '1.5', 'GCA_CONTENT_DAYS: expected a whole number'],
    ['GCA_LOG_LEVEL', 'loud', 'GCA_LOG_LEVEL: expected one of: DEBUG, INFO, WARNING, ERROR'],
    [
      'GCA_FIRESTORE_DATABASE',
      'A!',
      "GCA_FIRESTORE_DATABASE: expected '(default)' or a database id",
    ],
  ])('rejects %s=%j naming the variable and the accepted values', (name, value, expected) => {
    const issues = issuesOf({ ...LOCAL, [name]: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(expected);
    expect(issues[0]).toContain(`(got ${JSON.stringify(value)})`);
  });

  it('never echoes the pseudonymization key', () => {
    const issues = issuesOf({ ...LOCAL, GCA_PSEUDONYMIZE_KEY: 'hunter2' });
    expect(issues).toEqual([
      'GCA_PSEUDONYMIZE_KEY: expected a secret of at least 16 bytes (got a value of 7 characters)',
    ]);
  });

  it('requires a project for the cloud adapters', () => {
    const issues = issuesOf({});
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^GOOGLE_CLOUD_PROJECT: required with GCA_WAREHOUSE=bigquery/);
    expect(issuesOf({ GCA_WAREHOUSE: 'duckdb:/tmp/x.duckdb' })[0]).toMatch(/GOOGLE_CLOUD_PROJECT/);
  });

  it('lists every bad variable at once in one message', () => {
    let message = '';
    try {
      parseConfig({ ...LOCAL, GCA_CONTENT_MODE: 'none', GCA_LOG_LEVEL: 'loud' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid configuration:\n/);
    expect(message).toContain('GCA_CONTENT_MODE');
    expect(message).toContain('GCA_LOG_LEVEL');
  });
});

describe('parseEnv: the environment in parts', () => {
  it('reads only the parts a process uses', () => {
    // A command that only needs the privacy variables never fails on the warehouse's.
    const privacy = parseEnv([PRIVACY_ENV], {
      GCA_WAREHOUSE: 'postgres',
      GCA_CONTENT_MODE: 'full',
    });
    expect(privacy).toEqual({ contentMode: 'full', pseudonymizeKey: null });
    const retention = parseEnv([RETENTION_ENV, LOG_ENV], { GCA_EVENT_DAYS: '90' });
    expect(retention).toEqual({
      retentionDefaults: { ...DEFAULT_RETENTION_POLICY, eventDays: 90 },
      logLevel: 'INFO',
    });
    // The state part demands a project for Firestore only, whatever GCA_WAREHOUSE says.
    expect(parseEnv([stateEnv()], { GCA_STATE: 'local:/tmp/s.json', GCA_WAREHOUSE: 'x' })).toEqual({
      state: { kind: 'local', path: '/tmp/s.json' },
      projectId: null,
      firestoreDatabase: '(default)',
      firestoreCollection: 'gca_state',
    });
  });

  it('takes a process default for an unset target, and lists the issues of every part once', () => {
    expect(parseEnv([warehouseEnv('duckdb:./w.duckdb')], {}).warehouse).toEqual({
      kind: 'duckdb',
      path: './w.duckdb',
    });
    let issues: readonly string[] = [];
    try {
      parseEnv([warehouseEnv(), stateEnv(), PRIVACY_ENV], { GCA_CONTENT_MODE: 'none' });
    } catch (err) {
      if (err instanceof ConfigError) issues = err.issues;
    }
    // The project is missing for both cloud adapters: reported once.
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^GOOGLE_CLOUD_PROJECT: required/);
    expect(issues[1]).toMatch(/^GCA_CONTENT_MODE: /);
  });
});
