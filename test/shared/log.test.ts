import { CONTENT_KEYS, createLogger } from '../../shared/log';

function capture(level?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR') {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (line) => lines.push(line) });
  return {
    logger,
    lines,
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with severity and message first', () => {
    const { logger, lines } = capture();
    logger.info('ingest done', { component: 'ingest', counts: { read: 1, quarantined: 0 } });
    expect(lines).toEqual([
      '{"severity":"INFO","message":"ingest done","component":"ingest","counts":{"read":1,"quarantined":0}}',
    ]);
  });

  it('filters by level but always writes the summary line', () => {
    const { logger, parsed } = capture('WARNING');
    logger.debug('d');
    logger.info('i');
    logger.warning('w');
    logger.error('e');
    logger.summary('INFO', 'recompute done', { status: 'ok' });
    expect(parsed().map((l) => [l.severity, l.message])).toEqual([
      ['WARNING', 'w'],
      ['ERROR', 'e'],
      ['INFO', 'recompute done'],
    ]);
  });

  it('adds child fields to every line', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ component: 'retention' }).child({ runId: 'r1' });
    child.info('x', { n: 1 });
    expect(parsed()).toEqual([
      { severity: 'INFO', message: 'x', component: 'retention', runId: 'r1', n: 1 },
    ]);
  });

  it('never writes content fields, at any depth, and fields cannot forge the severity', () => {
    const { logger, lines, parsed } = capture();
    logger.info('x', {
      prompt_text: 'SECRET PROMPT',
      nested: { response_text: 'SECRET RESPONSE', raw: 'SECRET RAW', ok: 1 },
      list: [{ payload: '{"SECRET":1}', id: 'a' }],
      severity: 'DEBUG',
      message: 'forged',
    });
    expect(lines[0]).not.toContain('SECRET');
    expect(parsed()).toEqual([
      { severity: 'INFO', message: 'x', nested: { ok: 1 }, list: [{ id: 'a' }] },
    ]);
  });

  it('derives content keys from the table registry', () => {
    for (const key of ['prompt_text', 'response_text', 'preamble', 'raw', 'payload', 'arguments']) {
      expect(CONTENT_KEYS.has(key)).toBe(true);
    }
    expect(CONTENT_KEYS.has('messageId')).toBe(false);
    expect(CONTENT_KEYS.has('counts')).toBe(false);
  });

  it('bounds long strings', () => {
    const { logger, parsed } = capture();
    logger.error('x', { error: 'e'.repeat(5000) });
    expect(String(parsed()[0]?.error).length).toBe(1003);
  });
});
