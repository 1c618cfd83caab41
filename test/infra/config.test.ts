import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfraConfigError, STACK_KEYS, parseInfraConfig } from '../../infra/config';
import { datasetIds, stackNames } from '../../infra/naming';

const BASE = { 'gcp:project': 'acme-dev-123', 'gcp:region': 'europe-west1' };

/** The error `parseInfraConfig` throws for `extra`, or fails the test if none. */
function errorFor(extra: Record<string, string>): InfraConfigError {
  try {
    parseInfraConfig({ ...BASE, ...extra });
  } catch (e) {
    if (e instanceof InfraConfigError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(extra)} to be rejected`);
}

describe('parseInfraConfig', () => {
  it('is complete with only gcp:project and gcp:region', () => {
    expect(parseInfraConfig(BASE)).toEqual({
      project: 'acme-dev-123',
      region: 'europe-west1',
      sinkScope: 'project',
      datasetLocation: 'europe-west1',
      firestoreLocation: 'europe-west1',
      contentMode: 'scrubbed',
      contentRetentionDays: 30,
      eventRetentionDays: 400,
      quarantineRetentionDays: 30,
      recomputeSchedule: '15 * * * *',
      retentionSchedule: '30 3 * * *',
      scheduleTimeZone: 'Etc/UTC',
      maxDeliveryAttempts: 15,
      deadLetterRetentionDays: 3,
      allowedPersistenceRegions: ['europe-west1'],
      analystPrincipals: [],
      lookerPrincipals: [],
      alertNotificationChannels: [],
      quarantineAlertThreshold: 0,
      ingestMaxInstances: 10,
      ingestCpu: 1,
      ingestConcurrency: 80,
      backlogAlertMinutes: 15,
      noDataAlertMinutes: 60,
      workingHoursUtc: { start: 8, end: 18 },
      ingestErrorAlertThreshold: 50,
      namePrefix: '',
      deletionProtection: true,
    });
  });

  // Each key as Pulumi stores it (text, JSON lists, comma lists) and the value it becomes.
  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    [
      'the scope, location, content, retention, schedule and access keys',
      {
        'gca-analytics:sinkScope': 'folder',
        'gca-analytics:sinkParentId': '123456789012',
        'gca-analytics:datasetLocation': 'EU',
        'gca-analytics:firestoreLocation': 'eur3',
        'gca-analytics:contentMode': 'metadata-only',
        'gca-analytics:contentRetentionDays': '7',
        'gca-analytics:eventRetentionDays': '90',
        'gca-analytics:quarantineRetentionDays': '14',
        'gca-analytics:recomputeSchedule': '*/30 * * * *',
        'gca-analytics:retentionSchedule': '0 2 * * *',
        'gca-analytics:scheduleTimeZone': 'Europe/Paris',
        'gca-analytics:maxDeliveryAttempts': '5',
        'gca-analytics:kmsKeyName': 'projects/k/locations/europe/keyRings/r/cryptoKeys/gca',
        'gca-analytics:analystPrincipals': '["group:analysts@acme.com","user:ana@acme.com"]',
        'gca-analytics:lookerPrincipals': 'serviceAccount:looker@acme-bi.iam.gserviceaccount.com',
        'gca-analytics:alertNotificationChannels':
          '["projects/acme-dev-123/notificationChannels/42"]',
        'gca-analytics:quarantineAlertThreshold': '3',
        'gca-analytics:ingestMaxInstances': '50',
        'gca-analytics:pseudonymKeySecret': 'gca-pseudonym-key',
        'gca-analytics:deletionProtection': 'false',
      },
      {
        sinkScope: 'folder',
        sinkParentId: '123456789012',
        datasetLocation: 'EU',
        firestoreLocation: 'eur3',
        contentMode: 'metadata-only',
        contentRetentionDays: 7,
        eventRetentionDays: 90,
        quarantineRetentionDays: 14,
        maxDeliveryAttempts: 5,
        kmsKeyName: 'projects/k/locations/europe/keyRings/r/cryptoKeys/gca',
        analystPrincipals: ['group:analysts@acme.com', 'user:ana@acme.com'],
        lookerPrincipals: ['serviceAccount:looker@acme-bi.iam.gserviceaccount.com'],
        alertNotificationChannels: ['projects/acme-dev-123/notificationChannels/42'],
        quarantineAlertThreshold: 3,
        ingestMaxInstances: 50,
        pseudonymKeySecret: 'gca-pseudonym-key',
        deletionProtection: false,
      },
    ],
    [
      'the naming, sizing, alert, Pub/Sub and storage keys',
      {
        'gca-analytics:namePrefix': 'dev',
        'gca-analytics:rawDatasetId': 'gemini_raw',
        'gca-analytics:analyticsDatasetId': 'gemini',
        'gca-analytics:ingestCpu': '0.5',
        'gca-analytics:ingestConcurrency': '1',
        'gca-analytics:workingHoursUtc': '6-20',
        'gca-analytics:allowedPersistenceRegions': '[]',
        'gca-analytics:deadLetterRetentionDays': '7',
        'gca-analytics:rawStorageBillingModel': 'PHYSICAL',
        'gca-analytics:rawTimeTravelHours': '48',
      },
      {
        namePrefix: 'dev',
        rawDatasetId: 'gemini_raw',
        analyticsDatasetId: 'gemini',
        ingestCpu: 0.5,
        ingestConcurrency: 1,
        workingHoursUtc: { start: 6, end: 20 },
        allowedPersistenceRegions: [],
        deadLetterRetentionDays: 7,
        rawStorageBillingModel: 'PHYSICAL',
        rawTimeTravelHours: 48,
      },
    ],
  ])('reads %s', (_what, extra, expected) => {
    expect(parseInfraConfig({ ...BASE, ...extra })).toMatchObject(expected);
  });

  it.each<[string, boolean]>([
    ['true', true],
    ['false', false],
    [' FALSE ', false],
    ['True', true],
  ])('reads deletionProtection %j as %s', (text, expected) => {
    const config = parseInfraConfig({ ...BASE, 'gca-analytics:deletionProtection': text });
    expect(config.deletionProtection).toBe(expected);
  });

  // Only the ids the stack resolves are compared: an override alone may equal the other
  // dataset's stand-in, and a prefixed stack may reuse the unprefixed names.
  it.each<[Record<string, string>, { gca_raw: string; gca_analytics: string }]>([
    [{ 'gca-analytics:rawDatasetId': 'a' }, { gca_raw: 'a', gca_analytics: 'gca_analytics' }],
    [{ 'gca-analytics:analyticsDatasetId': 'r' }, { gca_raw: 'gca_raw', gca_analytics: 'r' }],
    [
      { 'gca-analytics:namePrefix': 'dev', 'gca-analytics:analyticsDatasetId': 'gca_raw' },
      { gca_raw: 'dev_gca_raw', gca_analytics: 'gca_raw' },
    ],
  ])('accepts dataset ids that resolve apart: %j', (extra, ids) => {
    const config = parseInfraConfig({ ...BASE, ...extra });
    expect(datasetIds(config.namePrefix, config)).toEqual(ids);
    expect(stackNames(config.namePrefix, config.project, config).datasets).toEqual(ids);
  });

  it.each<[string, string]>([
    ['9-10', '49'],
    ['8-12', '239'],
    ['8-18', '599'],
    ['0-24', '600'],
  ])('accepts workingHoursUtc %s with noDataAlertMinutes %s (a window remains)', (hours, min) => {
    const config = parseInfraConfig({
      ...BASE,
      'gca-analytics:workingHoursUtc': hours,
      'gca-analytics:noDataAlertMinutes': min,
    });
    expect(config.noDataAlertMinutes).toBe(Number(min));
  });

  it('drops sinkParentId for a project sink', () => {
    const config = parseInfraConfig({ ...BASE, 'gca-analytics:sinkParentId': '42' });
    expect(config.sinkParentId).toBeUndefined();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['sinkScope', { 'gca-analytics:sinkScope': 'billing' }, /expected one of/],
    ['sinkParentId', { 'gca-analytics:sinkScope': 'folder' }, /required when sinkScope is folder/],
    [
      'sinkParentId',
      { 'gca-analytics:sinkScope': 'organization', 'gca-analytics:sinkParentId': 'acme.com' },
      /numeric/,
    ],
    ['contentMode', { 'gca-analytics:contentMode': 'none' }, /metadata-only/],
    ['contentRetentionDays', { 'gca-analytics:contentRetentionDays': '0' }, /between 1 and/],
    ['eventRetentionDays', { 'gca-analytics:eventRetentionDays': 'forever' }, /whole number/],
    ['maxDeliveryAttempts', { 'gca-analytics:maxDeliveryAttempts': '4' }, /between 5 and 100/],
    ['maxDeliveryAttempts', { 'gca-analytics:maxDeliveryAttempts': '101' }, /between 5 and 100/],
    ['recomputeSchedule', { 'gca-analytics:recomputeSchedule': 'hourly' }, /unix-cron/],
    ['kmsKeyName', { 'gca-analytics:kmsKeyName': 'my-key' }, /cryptoKeys/],
    ['analystPrincipals', { 'gca-analytics:analystPrincipals': '["allUsers"]' }, /refused/],
    ['lookerPrincipals', { 'gca-analytics:lookerPrincipals': 'allAuthenticatedUsers' }, /refused/],
    [
      'alertNotificationChannels',
      { 'gca-analytics:alertNotificationChannels': 'ops' },
      /notificationChannels/,
    ],
    ['ingestMaxInstances', { 'gca-analytics:ingestMaxInstances': '0' }, /between 1 and/],
    ['pseudonymKeySecret', { 'gca-analytics:pseudonymKeySecret': 'a/b' }, /secret id/],
    ['deletionProtection', { 'gca-analytics:deletionProtection': 'maybe' }, /true or false/],
    ['namePrefix', { 'gca-analytics:namePrefix': 'staging' }, /at most 6/],
    ['namePrefix', { 'gca-analytics:namePrefix': 'dev-1' }, /at most 6/],
    ['namePrefix', { 'gca-analytics:namePrefix': '1dev' }, /a letter first/],
    ['rawDatasetId', { 'gca-analytics:rawDatasetId': 'gca-raw' }, /dataset id/],
    [
      'analyticsDatasetId',
      { 'gca-analytics:rawDatasetId': 'x', 'gca-analytics:analyticsDatasetId': 'x' },
      /differ/,
    ],
    // The ids the datasets really get, not the overrides alone (infra/naming.ts).
    ['analyticsDatasetId', { 'gca-analytics:rawDatasetId': 'gca_analytics' }, /differ/],
    ['analyticsDatasetId', { 'gca-analytics:analyticsDatasetId': 'gca_raw' }, /differ/],
    [
      'analyticsDatasetId',
      { 'gca-analytics:namePrefix': 'dev', 'gca-analytics:analyticsDatasetId': 'dev_gca_raw' },
      /differ/,
    ],
    [
      'analyticsDatasetId',
      { 'gca-analytics:namePrefix': 'dev', 'gca-analytics:rawDatasetId': 'dev_gca_analytics' },
      /differ/,
    ],
    // The no-data alert's window, START*60 + noDataAlertMinutes to END, must not be empty.
    [
      'noDataAlertMinutes',
      { 'gca-analytics:workingHoursUtc': '9-10' },
      /noDataAlertMinutes 60 .*workingHoursUtc 9-10.*never fire/,
    ],
    [
      'noDataAlertMinutes',
      { 'gca-analytics:workingHoursUtc': '8-12', 'gca-analytics:noDataAlertMinutes': '600' },
      /workingHoursUtc 8-12/,
    ],
    [
      'noDataAlertMinutes',
      { 'gca-analytics:workingHoursUtc': '8-18', 'gca-analytics:noDataAlertMinutes': '600' },
      /workingHoursUtc 8-18/,
    ],
    [
      'noDataAlertMinutes',
      { 'gca-analytics:workingHoursUtc': '8-12', 'gca-analytics:noDataAlertMinutes': '240' },
      /workingHoursUtc 8-12/,
    ],
    [
      'ingestConcurrency',
      { 'gca-analytics:ingestCpu': '0.5', 'gca-analytics:ingestConcurrency': '2' },
      /ingestCpu of at least 1/,
    ],
    ['ingestCpu', { 'gca-analytics:ingestCpu': '4' }, /between 0.08 and 2/],
    ['ingestCpu', { 'gca-analytics:ingestCpu': '1.5' }, /whole number/],
    ['workingHoursUtc', { 'gca-analytics:workingHoursUtc': '18-8' }, /START < END/],
    ['workingHoursUtc', { 'gca-analytics:workingHoursUtc': 'office' }, /START-END/],
    [
      'deadLetterRetentionDays',
      { 'gca-analytics:deadLetterRetentionDays': '8' },
      /between 1 and 7/,
    ],
    ['allowedPersistenceRegions', { 'gca-analytics:allowedPersistenceRegions': 'EU' }, /regions/],
    ['deletionProtection', { 'gca-analytics:deletionProtection': '0' }, /true or false/],
    ['rawStorageBillingModel', { 'gca-analytics:rawStorageBillingModel': 'physical' }, /PHYSICAL/],
    ['rawTimeTravelHours', { 'gca-analytics:rawTimeTravelHours': '24' }, /between 48 and 168/],
    ['rawTimeTravelHours', { 'gca-analytics:rawTimeTravelHours': '60' }, /multiple of 24/],
  ])('rejects a bad %s, naming the key', (key, extra, detail) => {
    const error = errorFor(extra);
    expect(error.key).toBe(`gca-analytics:${key}`);
    expect(error.message).toContain(`gca-analytics:${key}`);
    expect(error.message).toMatch(detail);
  });

  it('rejects an unknown (misspelt) key instead of ignoring it', () => {
    const error = errorFor({ 'gca-analytics:sinkscope': 'folder' });
    expect(error.message).toContain('gca-analytics:sinkscope');
    expect(error.message).toMatch(/unknown key/);
  });

  it('requires gcp:project and gcp:region', () => {
    expect(() => parseInfraConfig({ 'gcp:region': 'europe-west1' })).toThrow(/gcp:project/);
    expect(() => parseInfraConfig({ 'gcp:project': 'acme-dev-123' })).toThrow(/gcp:region/);
  });

  it('ignores other namespaces', () => {
    expect(() => parseInfraConfig({ ...BASE, 'aws:region': 'x' })).not.toThrow();
  });
});

describe('docs/deploy.md', () => {
  const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/deploy.md'), 'utf8');

  it('recommends, for 10,000 developers, keys and values the stack accepts', () => {
    const section = doc.slice(doc.indexOf('### Recommended configuration at 10,000 developers'));
    const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const keys = Object.fromEntries(
      [...block.matchAll(/^pulumi config set (\S+) '?([^'\n]+?)'?$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(keys).toEqual({
      'gca-analytics:recomputeSchedule': '15 7-19/4 * * 1-5',
      'gca-analytics:rawStorageBillingModel': 'PHYSICAL',
      'gca-analytics:rawTimeTravelHours': '48',
    });
    expect(parseInfraConfig({ ...BASE, ...keys })).toMatchObject({
      recomputeSchedule: '15 7-19/4 * * 1-5',
      rawStorageBillingModel: 'PHYSICAL',
      rawTimeTravelHours: 48,
    });
  });

  it('documents every config key in its table', () => {
    expect(STACK_KEYS.length).toBeGreaterThan(15);
    for (const key of STACK_KEYS) {
      const row = new RegExp(`^\\|\\s*\`gca-analytics:${key}\`\\s*\\|`, 'm');
      expect([key, row.test(doc)]).toEqual([key, true]);
    }
  });
});
