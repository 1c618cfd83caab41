/**
 * `dead-letters --name-prefix P` names the topic and dead-letter subscription as infra/ names a
 * stack with `gca-analytics:namePrefix` P; `--topic` / `--subscription` name them outright.
 * (The end-to-end run on the Pub/Sub emulator: dead-letters.test.ts.)
 */
import { pubsubTargets } from '../../cli/commands/dead-letters';
import { CliError } from '../../cli/context';
import { runCli } from './run-cli';

describe('dead-letters names', () => {
  it('derives the names from --name-prefix; --topic and --subscription win', () => {
    expect(pubsubTargets({})).toEqual({
      topic: 'gca-logs',
      subscription: 'gca-logs-dead-letter-pull',
    });
    expect(pubsubTargets({ namePrefix: 'dev' })).toEqual({
      topic: 'dev-gca-logs',
      subscription: 'dev-gca-logs-dead-letter-pull',
    });
    expect(pubsubTargets({ namePrefix: 'dev', subscription: 'my-pull' })).toEqual({
      topic: 'dev-gca-logs',
      subscription: 'my-pull',
    });
    expect(pubsubTargets({ topic: 't', subscription: 's' })).toEqual({
      topic: 't',
      subscription: 's',
    });
    expect(() => pubsubTargets({ namePrefix: 'Dev-1' })).toThrow(CliError);
  });

  it('refuses a prefix infra would refuse, as a usage error, and documents the flags', async () => {
    const run = await runCli(['dead-letters', 'list', '--name-prefix', 'Dev-1'], {
      cwd: process.cwd(),
      env: { GOOGLE_CLOUD_PROJECT: 'p' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^gca-analytics: --name-prefix must be the stack's gca-analytics:namePrefix/,
    );
    for (const sub of ['list', 'replay']) {
      const help = await runCli(['dead-letters', sub, '--help'], { cwd: process.cwd() });
      expect(help.stdout).toContain('--name-prefix <p>');
      expect(help.stdout).toContain('dev-gca-logs-dead-letter-pull');
    }
  });
});
