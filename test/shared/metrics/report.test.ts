import { runRecompute } from '../../../shared/jobs/recompute';
import { buildReport, ReportRangeError } from '../../../shared/metrics/report';
import { useTempJobSetup } from '../../helpers/duckdb';
import { eventsBatch, type EventSpec } from '../../helpers/metadata-events';

const NOW = new Date('2025-11-01T00:00:00Z');

describe('report on DuckDB (hand-computed figures)', () => {
  const temp = useTempJobSetup();

  async function load(specs: EventSpec[]): Promise<void> {
    await temp.warehouse.insertRaw(eventsBatch(specs));
    await runRecompute(
      { warehouse: temp.warehouse, state: temp.state, now: () => NOW },
      { full: true },
    );
  }

  it('applies the spec formulas to code, chat and total', async () => {
    await load([
      { type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' },
      { type: 'code_acceptance', id: 'a', at: '2025-10-08T10:00:05Z', lines: 5 },
      { type: 'code_exposure', id: 'b', at: '2025-10-08T11:00:00Z' },
      { type: 'chat_exposure', id: 'c', at: '2025-10-08T12:00:00Z' },
      { type: 'chat_acceptance', id: 'c', at: '2025-10-08T12:00:03Z', lines: 3 },
      // Same id, other kind: a different suggestion.
      { type: 'chat_exposure', id: 'a', at: '2025-10-08T13:00:00Z' },
    ]);
    const r = await buildReport(temp.warehouse);
    expect(r.code).toEqual({ exposed: 2, accepted: 1, acceptanceRate: 0.5, linesAccepted: 5 });
    expect(r.chat).toEqual({ exposed: 2, accepted: 1, acceptanceRate: 0.5, linesAccepted: 3 });
    expect(r.total).toEqual({ exposed: 4, accepted: 2, acceptanceRate: 0.5, linesAccepted: 8 });
    expect(Object.keys(r.byDay)).toEqual(['2025-10-08']);
    expect(r.byLanguage.python?.total.exposed).toBe(4);
    expect(r.byUser['alice@example.com']?.code.accepted).toBe(1);
    expect(r.byClient.VSCode?.chat.linesAccepted).toBe(3);
    expect(r.orphanAcceptances).toBe(0);
    expect(r.rows).toEqual({ requests: 0, responses: 0, metadataEvents: 6, quarantined: 0 });
    expect(r.dailyActiveUsers).toEqual({ '2025-10-08': 1 });
    expect(r.activeUsers).toBe(1);
  });

  it('counts a late acceptance (next day) on the exposure day', async () => {
    await load([
      { type: 'code_exposure', id: 'late', at: '2025-10-08T23:59:00Z' },
      { type: 'code_acceptance', id: 'late', at: '2025-10-09T00:05:00Z', lines: 4 },
    ]);
    const r = await buildReport(temp.warehouse);
    expect(Object.keys(r.byDay)).toEqual(['2025-10-08']);
    expect(r.byDay['2025-10-08']?.code).toEqual({
      exposed: 1,
      accepted: 1,
      acceptanceRate: 1,
      linesAccepted: 4,
    });
    // Activity, though, happened on both days.
    expect(r.dailyActiveUsers).toEqual({ '2025-10-08': 1, '2025-10-09': 1 });
  });

  it('counts orphan acceptances in accepted and reports them; no exposure -> null rate', async () => {
    await load([
      { type: 'code_acceptance', id: 'o1', at: '2025-10-08T10:00:00Z', lines: 2 },
      { type: 'chat_acceptance', id: 'o2', at: '2025-10-09T10:00:00Z', lines: 1 },
      { type: 'chat_exposure', id: 'x', at: '2025-10-09T11:00:00Z' },
    ]);
    const r = await buildReport(temp.warehouse);
    expect(r.code).toEqual({ exposed: 0, accepted: 1, acceptanceRate: null, linesAccepted: 2 });
    expect(r.chat).toEqual({ exposed: 1, accepted: 1, acceptanceRate: 1, linesAccepted: 1 });
    expect(r.orphanAcceptances).toBe(2);
    expect(r.byDay['2025-10-08']?.total.acceptanceRate).toBeNull();
  });

  it('takes the max lines over several acceptances of one suggestion', async () => {
    await load([
      { type: 'code_exposure', id: 'm', at: '2025-10-08T10:00:00Z' },
      { type: 'code_acceptance', id: 'm', at: '2025-10-08T10:01:00Z', lines: 3, commentLines: 1 },
      { type: 'code_acceptance', id: 'm', at: '2025-10-08T10:02:00Z', lines: 7, commentLines: 0 },
      { type: 'code_acceptance', id: 'm', at: '2025-10-08T10:03:00Z', lines: 5, commentLines: 2 },
    ]);
    const r = await buildReport(temp.warehouse);
    expect(r.code).toEqual({ exposed: 1, accepted: 1, acceptanceRate: 1, linesAccepted: 7 });
    const [s] = await temp.warehouse.query(
      'SELECT lines_accepted, comment_lines_accepted, exposure_events, acceptance_events FROM `gca_analytics.suggestions`',
    );
    expect(s).toEqual({
      lines_accepted: 7,
      comment_lines_accepted: 2,
      exposure_events: 1,
      acceptance_events: 3,
    });
  });

  it('filters by an inclusive day range on the suggestion day', async () => {
    await load([
      { type: 'code_exposure', id: 'd7', at: '2025-10-07T10:00:00Z' },
      { type: 'code_exposure', id: 'd8', at: '2025-10-08T10:00:00Z' },
      { type: 'code_acceptance', id: 'd8', at: '2025-10-10T10:00:00Z', lines: 1 },
      { type: 'code_exposure', id: 'd9', at: '2025-10-09T23:59:59.999999Z' },
      { type: 'code_exposure', id: 'd10', at: '2025-10-10T00:00:00Z' },
    ]);
    const r = await buildReport(temp.warehouse, { from: '2025-10-08', to: '2025-10-09' });
    expect(Object.keys(r.byDay)).toEqual(['2025-10-08', '2025-10-09']);
    expect(r.code).toEqual({ exposed: 2, accepted: 1, acceptanceRate: 0.5, linesAccepted: 1 });
    expect(r.range).toEqual({ from: '2025-10-08', to: '2025-10-09' });
    const only = await buildReport(temp.warehouse, { from: '2025-10-10' });
    expect(only.code.exposed).toBe(1);
    expect(only.code.accepted).toBe(0);
    await expect(
      buildReport(temp.warehouse, { from: '2025-10-10', to: '2025-10-01' }),
    ).rejects.toThrow(ReportRangeError);
    await expect(buildReport(temp.warehouse, { from: '10/10/2025' })).rejects.toThrow(
      ReportRangeError,
    );
  });

  it('leaves every figure unchanged by duplicate rows and re-ingest', async () => {
    const specs: EventSpec[] = [
      { type: 'code_exposure', id: 'a', at: '2025-10-08T10:00:00Z' },
      { type: 'code_acceptance', id: 'a', at: '2025-10-08T10:00:05Z', lines: 5 },
      { type: 'chat_acceptance', id: 'o', at: '2025-10-08T10:00:05Z', lines: 2 },
    ];
    await load(specs);
    const before = await buildReport(temp.warehouse);
    const again = await temp.warehouse.insertRaw(eventsBatch([...specs, ...specs]));
    expect(again).toEqual({ inserted: 0, duplicates: 6, rejected: [] });
    // BigQuery may keep duplicate rows of one entry: the SQL must dedup on entry_key itself.
    await temp.warehouse.execute(
      'INSERT INTO `gca_raw.metadata_events` SELECT * FROM `gca_raw.metadata_events`',
    );
    await runRecompute(
      { warehouse: temp.warehouse, state: temp.state, now: () => NOW },
      { full: true },
    );
    const after = await buildReport(temp.warehouse);
    expect(after).toEqual(before);
    expect(after.total).toEqual({ exposed: 1, accepted: 2, acceptanceRate: 2, linesAccepted: 7 });
  });

  it('attributes a suggestion from its first exposure, filling empty attributes in time order', async () => {
    await load([
      {
        type: 'code_acceptance',
        id: 's',
        at: '2025-10-08T09:00:00Z',
        language: 'go',
        client: 'IntelliJ',
        agentic: true,
        lines: 1,
      },
      {
        type: 'code_exposure',
        id: 's',
        at: '2025-10-08T10:00:00Z',
        language: '',
        client: 'VSCode',
        user: 'bob@example.com',
      },
      {
        type: 'code_exposure',
        id: 's',
        at: '2025-10-08T11:00:00Z',
        language: 'rust',
        client: 'Vim',
      },
      { type: 'code_exposure', id: 'n', at: '2025-10-09T10:00:00Z', language: null },
    ]);
    const rows = await temp.warehouse.query(
      `SELECT original_request_id AS id, day, user_id, programming_language, client_name,
         is_agentic, exposed, accepted FROM \`gca_analytics.suggestions\` ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 'n',
        day: '2025-10-09',
        user_id: 'alice@example.com',
        programming_language: 'unknown',
        client_name: 'VSCode',
        is_agentic: false,
        exposed: true,
        accepted: false,
      },
      // Earliest exposure (10:00) is primary; its empty language takes the acceptance's 'go'
      // (09:00, the first non-empty in time order), not the later exposure's 'rust'.
      {
        id: 's',
        day: '2025-10-08',
        user_id: 'bob@example.com',
        programming_language: 'go',
        client_name: 'VSCode',
        is_agentic: true,
        exposed: true,
        accepted: true,
      },
    ]);
    const r = await buildReport(temp.warehouse);
    expect(r.byAgentMode.agent.code.accepted).toBe(1);
    expect(r.byAgentMode.nonAgent.code.exposed).toBe(1);
    expect(Object.keys(r.byLanguage)).toEqual(['go', 'unknown']);
  });
});
