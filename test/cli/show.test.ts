/** `gca-analytics show REQUEST_ID` on a local warehouse holding the spec's samples. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InteractionView } from '../../shared/datasets/show';
import { AGENT1_ID, COMPLETION_ID, specExportLines } from '../shared/datasets/spec-entries';
import { runCli } from './run-cli';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-show-'));
  writeFileSync(join(dir, 'logs.jsonl'), specExportLines());
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function ingest(mode: string): Promise<void> {
  const run = await runCli(['ingest', 'logs.jsonl', '--content-mode', mode], { cwd: dir });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

describe('show', () => {
  it('prints the request, response, events and acceptance of an agent turn (--json)', async () => {
    await ingest('full');
    const run = await runCli(['show', AGENT1_ID, '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as InteractionView;
    expect(view.request).toMatchObject({
      kind: 'task_completion',
      userId: 'user@company.com',
      clientName: 'cloudcode_cli',
      contentMode: 'full',
    });
    expect(view.request?.promptText).toContain('hi can you add one test here');
    expect(view.response?.toolCalls).toEqual([
      { name: 'read_file', arguments: { absolute_path: '/usr/local/google/home/pdec/test.cpp' } },
    ]);
    expect(view.response?.text).toContain('Of course. What is the test about?');
    expect(view.events.map((e) => e.eventType)).toEqual([
      'api_request',
      'chat_exposure',
      'chat_acceptance',
    ]);
    expect(view.suggestions).toEqual([
      expect.objectContaining({ kind: 'chat', exposed: true, accepted: true, linesAccepted: 15 }),
    ]);
  });

  // Each test ingests in its content mode and checks the lines that mode decides.
  it('prints context files of a completion as text', async () => {
    await ingest('full');
    const run = await runCli(['show', COMPLETION_ID], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kind          code_completion');
    expect(run.stdout).toContain('/path/to/../recent-file.go  go [RECENTLY_OPENED]');
    expect(run.stdout).toContain('Response\n  (no response entry stored)');
  });

  it('says the prompt was not stored in metadata-only mode', async () => {
    await ingest('metadata-only');
    const run = await runCli(['show', AGENT1_ID], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('content mode  metadata-only');
    expect(run.stdout).toContain('(not stored: content mode metadata-only)');
    expect(run.stdout).not.toContain('hi can you add one test here');
    // Tool arguments keep their metadata-only skeleton: keys, no text.
    expect(run.stdout).toContain('read_file({"absolute_path":"[OMITTED:36]"})');
  });

  it('fails with a clear error for an unknown id', async () => {
    await ingest('full');
    const run = await runCli(['show', 'no-such-id'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^gca-analytics: no request, response or metadata event with request_id no-such-id/,
    );
    expect(run.stdout).toBe('');
  });
});
