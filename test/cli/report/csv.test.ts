import { parse } from 'csv-parse/sync';
import { csvField, reportCsvTables, toCsv } from '../../../cli/report/csv';
import { HOSTILE_USER, sampleReport } from './make-report';

describe('CSV (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [null, ''],
    [0.25, '0.25'],
    [2 / 3, '0.666666666667'],
    [1e-7, '0.0000001'],
    [1234567, '1234567'],
    [true, 'true'],
  ])('%j -> %s', (value, text) => {
    expect(csvField(value)).toBe(text);
  });

  it('round-trips every table through a CSV parser, hostile names included', () => {
    const report = sampleReport();
    for (const table of reportCsvTables(report)) {
      const text = toCsv(table);
      expect(text.split('\r\n')[0]).toBe(table.headers.join(','));
      const back = parse(text) as string[][];
      expect(back).toHaveLength(table.rows.length + 1);
      expect(back.slice(1).map((r) => r.length)).toEqual(
        table.rows.map(() => table.headers.length),
      );
    }
    const users = reportCsvTables(report).find((t) => t.name === 'by_user');
    const back = parse(toCsv(users!), { columns: true }) as Record<string, string>[];
    expect(back.map((r) => r.user_id)).toContain(HOSTILE_USER);
    const row = back.find((r) => r.user_id === 'alice@example.com');
    expect(Number(row?.total_acceptance_rate)).toBeCloseTo(
      report.byUser['alice@example.com']?.total.acceptanceRate ?? NaN,
      10,
    );
  });
});
