import type { DashboardDetail } from '../../../cli/report/detail';
import { escapeHtml, filterData, jsonForScript, renderHtmlReport } from '../../../cli/report/html';
import { omitPeople } from '../../../shared/metrics/report';
import { HOSTILE_USER, makeReport, sampleReport } from './make-report';

describe('escapeHtml / jsonForScript', () => {
  it('escapes markup characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('keeps JSON round-trippable while no tag can be closed or opened', () => {
    const value = { user: '</script><script>alert(1)</script>', sep: '\u2028<!--&amp;' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(sampleReport(), { generatedAt: new Date('2025-10-09T00:00:00Z') });

  it('never writes a string from the logs as markup', () => {
    expect(html).not.toContain(HOSTILE_USER);
    expect(html).not.toContain('<b>lang</b>');
    expect(html).toContain(escapeHtml(HOSTILE_USER));
    // Exactly three script elements: the data, Chart.js and the page script.
    expect(html.match(/<script[\s>]/g)).toHaveLength(3);
  });

  it('inlines Chart.js and allows only the inlined scripts, with no network', () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('Chart.js v4');
    expect(html).toMatch(/default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'/);
  });

  it('embeds the data the charts draw', () => {
    const block = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html);
    const data = JSON.parse(block?.[1] ?? 'null') as {
      days: string[];
      topUsers: { labels: string[] };
    };
    expect(data.days).toEqual(['2025-10-06', '2025-10-07', '2025-10-08']);
    expect(data.topUsers.labels).toContain(HOSTILE_USER);
  });
});

describe('filterData', () => {
  // Team T over days 0..3, floor 2: a on day 0, b on day 2, c on days 2 and 3.
  const days = ['2025-10-06', '2025-10-07', '2025-10-08', '2025-10-09'];
  const seen: [string, number][] = [
    ['a', 0],
    ['b', 2],
    ['c', 2],
    ['c', 3],
  ];
  const report = makeReport(
    seen.map(([user, d]) => ({
      kind: 'code',
      day: days[d] ?? '',
      user,
      team: 'T',
      language: 'go',
      client: 'IntelliJ',
      agent: false,
      exposed: true,
      accepted: true,
      lines: 1,
    })),
  );
  report.teams.minTeamSize = 2;
  const detail: DashboardDetail = {
    users: seen.map(([user, d]) => ({
      day: days[d] ?? '',
      team: 'T',
      pooledTeam: null,
      user,
      active: true,
      suggestion: true,
      figures: [1, 1, 1, 0, 0, 0, 0],
    })),
    groups: [],
    seats: [],
  };

  it('says from which last day a team reaches the floor, for each first day', () => {
    const f = filterData(report, detail, days);
    // From day 0: a, then b and c on day 2. From day 1 or 2: b and c on day 2. From day 3: c only.
    expect(f.reach[f.teams.indexOf('T')]).toEqual([2, 2, 2, -1]);
    expect(f.people?.users.sort()).toEqual(['a', 'b', 'c']);
  });

  it('holds no person when the report leaves people out', () => {
    const f = filterData(omitPeople(report), detail, days);
    expect(f.people).toBeNull();
    expect(JSON.stringify(f)).not.toMatch(/"[abc]"/);
    // Team-days keep the sums: 4 user-days, 4 exposed.
    expect(f.teamDays.reduce((n, r) => n + (r[2] ?? 0), 0)).toBe(4);
    expect(f.teamDays.reduce((n, r) => n + (r[4] ?? 0), 0)).toBe(4);
  });
});
