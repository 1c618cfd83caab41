import { omitPeople } from '../../../shared/metrics/report';
import { ReportSchema } from '../../../shared/metrics/report-schema';
import { formatCount, formatRate, terminalLabel } from '../../../cli/report/format';
import {
  LANGUAGE_HEADERS,
  LANGUAGE_NOTE,
  renderTable,
  renderTextReport,
} from '../../../cli/report/text';
import { makeReport, sampleReport } from './make-report';

describe('format', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [1234567, '1,234,567'],
  ])('formatCount(%p) = %p', (n, text) => expect(formatCount(n)).toBe(text));

  it('formats rates, null as a dash', () => {
    expect(formatRate(null)).toBe('-');
    expect(formatRate(0.25)).toBe('25.0%');
    expect(formatRate(1 / 3)).toBe('33.3%');
  });

  it('strips terminal control sequences and cuts long labels', () => {
    expect(terminalLabel('a\u001b[2Jb\nc')).toBe('a?[2Jb?c');
    expect(terminalLabel('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('renderTextReport', () => {
  it('aligns columns', () => {
    const lines = renderTable(
      ['Name', 'N'],
      [
        ['a', '1'],
        ['long name', '12345'],
      ],
      ['left', 'right'],
    );
    expect(lines).toEqual([
      'Name           N',
      '---------  -----',
      'a              1',
      'long name  12345',
    ]);
  });

  it('shows the totals, every section and the row counts', () => {
    const report = sampleReport();
    expect(ReportSchema.safeParse(report).success).toBe(true);
    const text = renderTextReport(report);
    const totalLine = text.split('\n').find((l) => l.startsWith('Total'));
    expect(totalLine?.split(/\s+/)).toEqual([
      'Total',
      formatCount(report.total.exposed),
      formatCount(report.total.accepted),
      formatRate(report.total.acceptanceRate),
      formatCount(report.total.linesAccepted),
    ]);
    for (const heading of [
      'Language',
      'IDE',
      'Agent mode',
      'Top users (of 3)',
      'Orphan acceptances',
      'Rows (all time, not only this range):',
      'Team engagement',
    ]) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('2025-10-06 .. 2025-10-08');
    expect(text).toContain('CloudCodeVscode');
  });

  it('shows code figures by language and chat only as accepted suggestions and lines', () => {
    const report = sampleReport();
    const lines = renderTextReport(report).split('\n');
    const header = lines.find((l) => l.startsWith('Language'));
    expect(header?.split(/\s{2,}/)).toEqual(['Language', ...LANGUAGE_HEADERS]);
    const [name, g] = Object.entries(report.byLanguage)[0]!;
    const row = lines.find((l) => l.startsWith(`${name} `));
    // The columns spelled out again on purpose (text.ts builds the same list): the test states
    // what the by-language table must hold rather than trusting the renderer's own helper.
    expect(row?.trim().split(/\s+/)).toEqual([
      name,
      formatCount(g.code.exposed),
      formatCount(g.code.accepted),
      formatRate(g.code.acceptanceRate),
      formatCount(g.code.linesAccepted),
      formatCount(g.chat.accepted),
      formatCount(g.chat.linesAccepted),
    ]);
    expect(lines).toContain(LANGUAGE_NOTE);
  });

  it('renders an empty report with null rates as dashes', () => {
    const text = renderTextReport(makeReport([]));
    expect(
      text
        .split('\n')
        .find((l) => l.startsWith('Total'))
        ?.split(/\s+/),
    ).toEqual(['Total', '0', '0', '-', '0']);
  });

  it('shows the teams, their engagement and the floor note; --no-people leaves people out', () => {
    const report = sampleReport();
    const lines = renderTextReport(report).split('\n');
    // The headline active users and the per-user table: said how they relate.
    expect(lines[1]).toBe('3 active users (3 with a suggestion), 3 days');
    const search = lines.find((l) => l.startsWith('Search '));
    expect(search?.trim().split(/\s+/).slice(0, 5)).toEqual([
      'Search',
      formatCount(report.byTeam.Search?.total.exposed ?? -1),
      formatCount(report.byTeam.Search?.total.accepted ?? -1),
      formatRate(report.byTeam.Search?.total.acceptanceRate ?? null),
      formatCount(report.byTeam.Search?.total.linesAccepted ?? -1),
    ]);
    expect(lines).toContain(
      'Teams with fewer than 1 distinct users in the range are pooled under "(small teams)" (0 pooled). No team mapping is loaded (gca-analytics teams import FILE.csv), so every user is "(no team)".',
    );
    expect(lines.join('\n')).toContain('alice@example.com');
    const anonymous = renderTextReport(omitPeople(report));
    expect(anonymous).not.toContain('alice@example.com');
    expect(anonymous).not.toContain('Top users');
    expect(anonymous).toContain('Team engagement');
  });
});
