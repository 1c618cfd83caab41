/** `gca-analytics datasets ...` on a local warehouse holding the spec's samples. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetInfo, DatasetMemberView } from '../../shared/datasets/store';
import { datasetMembersTable, datasetsTable } from '../../shared/tables/registry';
import {
  AGENT1_ID,
  AGENT2_ID,
  CHAT_ID,
  COMPLETION_ID,
  specExportLines,
} from '../shared/datasets/spec-entries';
import { runCli } from './run-cli';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gca-cli-datasets-'));
  writeFileSync(join(dir, 'logs.jsonl'), specExportLines());
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date('2025-10-20T12:00:00Z');

async function cli(...args: string[]) {
  return runCli(args, { cwd: dir, now: NOW });
}

async function ingest(mode = 'scrubbed'): Promise<void> {
  const run = await cli('ingest', 'logs.jsonl', '--content-mode', mode);
  expect(run.code).toBe(0);
}

/** Members of a new dataset made with `filter` flags, by request_id. */
async function membersOf(...filter: string[]): Promise<string[]> {
  const created = await cli('datasets', 'create', 'd', '--replace', ...filter);
  if (created.code !== 0) return [];
  const shown = await cli('datasets', 'show', 'd', '--json', '--limit', '0');
  expect(shown.code).toBe(0);
  const { members } = JSON.parse(shown.stdout) as { members: DatasetMemberView[] };
  return members.map((m) => m.requestId);
}

const ALL_DAYS = ['--from', '2023-11-01', '--to', '2025-12-31'];

describe('datasets', () => {
  it('keeps its selection in the raw dataset, never in gca_analytics', () => {
    expect(datasetsTable.dataset).toBe('gca_raw');
    expect(datasetMembersTable.dataset).toBe('gca_raw');
  });

  it('selects by day, kind, tool calls, acceptance, language and user', async () => {
    await ingest();
    const sorted = (ids: string[]) => [...ids].sort();
    expect(await membersOf(...ALL_DAYS)).toEqual(
      sorted([CHAT_ID, COMPLETION_ID, AGENT1_ID, AGENT2_ID]),
    );
    expect(await membersOf('--from', '2025-10-08', '--to', '2025-10-08')).toEqual(
      sorted([AGENT1_ID, AGENT2_ID]),
    );
    expect(await membersOf(...ALL_DAYS, '--kind', 'chat')).toEqual([CHAT_ID]);
    expect(await membersOf(...ALL_DAYS, '--kind', 'completion')).toEqual([COMPLETION_ID]);
    expect(await membersOf(...ALL_DAYS, '--kind', 'agent')).toEqual(sorted([AGENT1_ID, AGENT2_ID]));
    expect(await membersOf(...ALL_DAYS, '--with-tool-calls')).toEqual(
      sorted([AGENT1_ID, AGENT2_ID]),
    );
    expect(await membersOf(...ALL_DAYS, '--accepted')).toEqual([AGENT1_ID]);
    expect(await membersOf(...ALL_DAYS, '--not-accepted')).toEqual([COMPLETION_ID]);
    expect(await membersOf(...ALL_DAYS, '--language', 'python')).toEqual([COMPLETION_ID]);
    // Go: the completion's context files, and the acceptance of the first agent turn.
    expect(await membersOf(...ALL_DAYS, '--language', 'GO')).toEqual(
      sorted([COMPLETION_ID, AGENT1_ID]),
    );
    expect(await membersOf(...ALL_DAYS, '--user', 'nobody@company.com')).toEqual([]);
  });

  it('selects by team: the team of the user on the day of the request (--team)', async () => {
    await ingest();
    // The spec's user moved from Platform to Agents on 2025-01-01; both under Engineering.
    writeFileSync(
      join(dir, 'teams.csv'),
      'user_id,team,parent_team,from,to\n' +
        'user@company.com,Platform,Engineering,2023-01-01,2024-12-31\n' +
        'user@company.com,Agents,Engineering,2025-01-01,\n',
    );
    expect((await cli('teams', 'import', 'teams.csv')).code).toBe(0);
    const sorted = (ids: string[]) => [...ids].sort();
    expect(await membersOf(...ALL_DAYS, '--team', 'Platform')).toEqual(
      sorted([CHAT_ID, COMPLETION_ID]),
    );
    expect(await membersOf(...ALL_DAYS, '--team', 'Agents')).toEqual(
      sorted([AGENT1_ID, AGENT2_ID]),
    );
    expect(await membersOf(...ALL_DAYS, '--team', 'Engineering')).toEqual(
      sorted([CHAT_ID, COMPLETION_ID, AGENT1_ID, AGENT2_ID]),
    );
    expect((await cli('datasets', 'show', 'd')).stdout).toContain('--team Engineering\n');
    expect(await membersOf(...ALL_DAYS, '--team', 'Agents', '--kind', 'chat')).toEqual([]);
    const none = await cli('datasets', 'create', 'x', ...ALL_DAYS, '--team', 'Nobody');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no interaction matches the filter/);
  });

  it('samples deterministically with a seed', async () => {
    await ingest();
    const a = await membersOf(...ALL_DAYS, '--sample', '2', '--seed', 's1');
    const b = await membersOf(...ALL_DAYS, '--sample', '2', '--seed', 's1');
    expect(a).toHaveLength(2);
    expect(b).toEqual(a);
    const seeds: string[] = [];
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f']) {
      seeds.push((await membersOf(...ALL_DAYS, '--sample', '2', '--seed', seed)).join(','));
    }
    // The seed matters: six seeds do not all pick the same two of four.
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('creates, lists, shows and deletes; an existing name needs --replace', async () => {
    await ingest();
    const created = await cli(
      'datasets',
      'create',
      'agent-turns',
      '--description',
      "agents' turns",
      '--kind',
      'agent',
      ...ALL_DAYS,
    );
    expect(created.stdout).toBe('Created dataset agent-turns: 2 interactions.\n');
    const again = await cli('datasets', 'create', 'agent-turns', '--kind', 'chat', ...ALL_DAYS);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/dataset agent-turns exists .*use --replace/);

    const list = await cli('datasets', 'list', '--json');
    const [info] = JSON.parse(list.stdout) as DatasetInfo[];
    expect(info).toEqual({
      name: 'agent-turns',
      description: "agents' turns",
      filter: { from: '2023-11-01', to: '2025-12-31', kind: 'agent' },
      createdAt: '2025-10-20T12:00:00.000000Z',
      memberCount: 2,
      members: 2,
    });
    const shown = await cli('datasets', 'show', 'agent-turns');
    expect(shown.stdout).toContain('filter       --from 2023-11-01 --to 2025-12-31 --kind agent');
    expect(shown.stdout).toContain(
      `  ${AGENT1_ID}  2025-10-08T10:09:52.225165Z  user@company.com  task_completion`,
    );

    const replaced = await cli(
      'datasets',
      'create',
      'agent-turns',
      '--kind',
      'chat',
      '--replace',
      ...ALL_DAYS,
    );
    expect(replaced.stdout).toBe('Replaced dataset agent-turns: 1 interactions.\n');

    expect((await cli('datasets', 'delete', 'agent-turns')).code).toBe(0);
    expect((await cli('datasets', 'list')).stdout).toMatch(/^No datasets in /);
    const gone = await cli('datasets', 'delete', 'agent-turns');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^gca-analytics: no dataset agent-turns in /);
    // The interactions themselves stay.
    expect((await cli('show', AGENT1_ID)).code).toBe(0);
  });

  it('refuses bad input with a usage error', async () => {
    await ingest();
    for (const args of [
      ['datasets', 'create', 'x', '--from', '2025-10-08'],
      ['datasets', 'create', 'x', ...ALL_DAYS, '--kind', 'poem'],
      ['datasets', 'create', 'x', ...ALL_DAYS, '--accepted', '--not-accepted'],
      ['datasets', 'create', 'x', ...ALL_DAYS, '--sample', '0'],
      ['datasets', 'create', 'x', ...ALL_DAYS, '--seed', '3'],
    ]) {
      const run = await cli(...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^gca-analytics: /);
    }
    const badName = await cli('datasets', 'create', '../x', ...ALL_DAYS);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/invalid dataset name/);
  });

  it('says there is no content to curate in metadata-only mode', async () => {
    await ingest('metadata-only');
    const run = await cli('datasets', 'create', 'x', ...ALL_DAYS);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /the 4 matching interactions hold no content: 4 stored in metadata-only content mode/,
    );
    expect((await cli('datasets', 'list', '--json')).stdout).toBe('[]\n');
  });
});
