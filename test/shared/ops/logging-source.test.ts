import {
  timestampJson,
  structJson,
  logEntryJson,
  isRetryableListError,
} from '../../../shared/ops/logging-source';
import { incrementalReaches } from '../../../shared/ops/rebuild';
import { dayOfPath, parseGsUrl } from '../../../shared/ops/storage-source';

it.each([
  [{ seconds: '1759917992', nanos: 225165428 }, '2025-10-08T10:06:32.225165428Z'],
  [{ seconds: '1759917992', nanos: 225165000 }, '2025-10-08T10:06:32.225165Z'],
  [{ seconds: '1759917992', nanos: 225000000 }, '2025-10-08T10:06:32.225Z'],
  [{ seconds: '1759917992', nanos: 0 }, '2025-10-08T10:06:32Z'],
])('writes Timestamp %j as proto3 JSON does: %s', (t, text) => {
  expect(timestampJson(t)).toBe(text);
});

it('turns Struct values back into JSON and leaves default fields out', () => {
  const struct = {
    fields: {
      n: { kind: 'numberValue', numberValue: 2 },
      s: { kind: 'stringValue', stringValue: 'x' },
      b: { kind: 'boolValue', boolValue: false },
      z: { kind: 'nullValue', nullValue: 'NULL_VALUE' },
      l: { kind: 'listValue', listValue: { values: [{ kind: 'stringValue', stringValue: 'a' }] } },
      o: {
        kind: 'structValue',
        structValue: { fields: { k: { kind: 'numberValue', numberValue: 1 } } },
      },
    },
  };
  expect(structJson(struct)).toEqual({ n: 2, s: 'x', b: false, z: null, l: ['a'], o: { k: 1 } });
  expect(
    logEntryJson({
      insertId: 'i',
      textPayload: '',
      payload: 'jsonPayload',
      jsonPayload: struct,
      labels: {},
      severity: 'DEFAULT',
      trace: '',
    }),
  ).toEqual({ insertId: 'i', jsonPayload: structJson(struct) });
});

it('retries quota and availability errors only', () => {
  expect(isRetryableListError({ code: 8 })).toBe(true);
  expect(isRetryableListError({ code: 429 })).toBe(true);
  expect(isRetryableListError(new Error('RESOURCE_EXHAUSTED: quota'))).toBe(true);
  expect(isRetryableListError({ code: 7, message: 'PERMISSION_DENIED' })).toBe(false);
});

it('chooses a full rebuild for days beyond the BigQuery lookback', () => {
  const now = new Date('2026-10-20T00:00:00Z');
  expect(incrementalReaches('bigquery', ['2026-10-15'], now)).toBe(true);
  expect(incrementalReaches('bigquery', ['2026-09-01', '2026-10-15'], now)).toBe(false);
  expect(incrementalReaches('duckdb', ['2020-01-01'], now)).toBe(true);
  expect(incrementalReaches('duckdb', ['2026-09-01'], now, 14)).toBe(false);
  // A configured lookback wins over the engine's default; null looks at every day.
  expect(incrementalReaches('bigquery', ['2020-01-01'], now, null)).toBe(true);
  expect(incrementalReaches('bigquery', ['2026-10-01'], now, 3)).toBe(false);
});

it('reads gs:// URLs and the day of sink paths', () => {
  expect(parseGsUrl('gs://my-logs/a%2Fb/2026')).toEqual({
    bucket: 'my-logs',
    prefix: 'a%2Fb/2026',
  });
  expect(parseGsUrl('gs://my-logs')).toEqual({ bucket: 'my-logs', prefix: '' });
  expect(parseGsUrl('s3://x/y')).toBeNull();
  expect(
    dayOfPath('cloudaicompanion.googleapis.com%2Fmetadata/2026/10/01/00:00:00_00:59:59_S0.json'),
  ).toBe('2026-10-01');
  expect(dayOfPath('misc/file.json')).toBeNull();
});
