import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARS } from '../../shared/config';
import { GROUP_COMMIT_ENV } from '../../shared/pipeline/group-commit';

const DOC = readFileSync(join(__dirname, '../../docs/functions.md'), 'utf8');

describe('docs/functions.md', () => {
  it.each([...ENV_VARS, ...Object.keys(GROUP_COMMIT_ENV)])(
    'documents %s in the variables table',
    (name) => {
      expect(DOC).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
    },
  );

  it.each(['ingest', 'recompute', 'retention'])('documents the %s target', (target) => {
    expect(DOC).toContain(`### \`${target}\``);
    expect(DOC).toContain(`--target=${target}`);
  });
});
