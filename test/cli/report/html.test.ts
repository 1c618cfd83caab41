import { escapeHtml, jsonForScript, renderHtmlReport } from '../../../cli/report/html';
import { HOSTILE_USER, sampleReport } from './make-report';

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
