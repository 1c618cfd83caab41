import fc from 'fast-check';
import {
  InvalidTimestampError,
  isoToMicros,
  microsToIso,
  toMicrosIso,
  tryMicrosIso,
} from '../../../shared/normalize/time';

describe('tryMicrosIso', () => {
  it.each([
    ['2025-10-08T10:09:52.225165428Z', '2025-10-08T10:09:52.225165Z'],
    ['2025-10-08T10:09:52.225165Z', '2025-10-08T10:09:52.225165Z'],
    ['2025-10-08T10:09:52.2Z', '2025-10-08T10:09:52.200000Z'],
    ['2025-10-08T10:09:52Z', '2025-10-08T10:09:52.000000Z'],
    ['2025-12-31T23:59:59.999999999Z', '2025-12-31T23:59:59.999999Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000000Z'],
    ['2025-10-08t10:09:52z', '2025-10-08T10:09:52.000000Z'],
    ['2025-10-08 10:09:52Z', '2025-10-08T10:09:52.000000Z'],
    ['2025-10-09T01:30:00.123456789+02:00', '2025-10-08T23:30:00.123456Z'],
    ['2025-12-31T23:30:00-01:00', '2026-01-01T00:30:00.000000Z'],
    ['0050-06-01T00:00:00+00:00', '0050-06-01T00:00:00.000000Z'],
  ])('%s -> %s', (input, output) => {
    expect(tryMicrosIso(input)).toBe(output);
  });

  it.each([
    '',
    'yesterday',
    '2025-10-08',
    '2025-10-08T10:09:52',
    '2025-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-10-08T24:00:00Z',
    '2025-10-08T10:60:00Z',
    '2025-10-08T10:09:60Z',
    '2025-10-08T10:09:52.Z',
    '2025-10-08T10:09:52.1234567890Z',
    '2025-10-08T10:09:52+25:00',
    ' 2025-10-08T10:09:52Z',
  ])('rejects %j', (input) => {
    expect(tryMicrosIso(input)).toBeNull();
  });

  it('formats Dates, and rejects invalid ones', () => {
    expect(tryMicrosIso(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toBe(
      '2026-01-02T03:04:05.678000Z',
    );
    expect(tryMicrosIso(new Date(NaN))).toBeNull();
  });

  it('agrees with Date on the instant, for any Z timestamp', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999_999 }),
        (d, extraNanos) => {
          const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
          const nanos = `${iso.slice(0, 23)}${String(extraNanos).padStart(6, '0')}Z`;
          const out = tryMicrosIso(nanos);
          expect(out).toBe(
            `${iso.slice(0, 23)}${String(extraNanos).padStart(6, '0').slice(0, 3)}Z`,
          );
          expect(Date.parse(out ?? '')).toBe(d.getTime());
        },
      ),
    );
  });
});

describe('toMicrosIso', () => {
  it('throws a typed error on invalid input', () => {
    expect(() => toMicrosIso('nope')).toThrow(InvalidTimestampError);
    expect(toMicrosIso('2025-10-08T10:09:52.225165428Z')).toBe('2025-10-08T10:09:52.225165Z');
  });
});

describe('isoToMicros and microsToIso', () => {
  it.each([
    ['2025-10-08T10:09:52.225165Z', '2025-10-08T10:09:52.225165Z'],
    ['2025-10-08T10:09:52Z', '2025-10-08T10:09:52.000000Z'],
    ['1969-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.999999Z'],
    ['2025-10-08T12:09:52.1+02:00', '2025-10-08T10:09:52.100000Z'],
  ])('%s -> %s', (input, expected) => {
    expect(microsToIso(isoToMicros(input))).toBe(expected);
  });
});
