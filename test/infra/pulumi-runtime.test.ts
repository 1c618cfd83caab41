/**
 * Loads the program the way `pulumi up` does (Pulumi.yaml: nodejs runtime, typescript: true): the
 * Pulumi language host registers its vendored ts-node with the project's TypeScript and requires
 * `main`. Catches what jest's own transpiler would hide (module resolution, __dirname, tsconfig).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

it('runs infra/index.ts under the language host ts-node, with mocks', () => {
  const main = /^main:\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(ROOT, 'Pulumi.yaml'), 'utf8'));
  expect(main?.[1]).toBe('infra/index.ts');
  // The language host's vendored ts-node, whatever version @pulumi/pulumi ships.
  const vendor = path.join(path.dirname(require.resolve('@pulumi/pulumi/package.json')), 'vendor');
  const vendored = fs.readdirSync(vendor).filter((name) => name.startsWith('ts-node@'));
  expect(vendored).toHaveLength(1);
  const tsNode = path.join(vendor, vendored[0] ?? '');
  const script = `
    require(${JSON.stringify(tsNode)}).register({
      compiler: require.resolve('typescript'), project: 'tsconfig.json', transpileOnly: true,
    });
    const pulumi = require('@pulumi/pulumi');
    pulumi.runtime.setMocks({
      newResource: (a) => ({ id: a.name + '-id', state: { ...a.inputs,
        email: 'sa@p.iam.gserviceaccount.com', member: 'serviceAccount:sa@p.iam.gserviceaccount.com',
        writerIdentity: 'serviceAccount:writer@gcp-sa-logging.iam.gserviceaccount.com',
        serviceConfig: { ...(a.inputs.serviceConfig || {}), uri: 'https://' + a.name + '.run.app' } } }),
      call: () => ({ email: 'bq@p', member: 'serviceAccount:bq@p' }),
    }, 'gca-analytics', 'dev', false);
    pulumi.runtime.setAllConfig({ 'gcp:project': 'acme-gca-prod', 'gcp:region': 'europe-west1' });
    const program = require(${JSON.stringify(path.join(ROOT, main?.[1] ?? ''))});
    pulumi.all([program.rawDatasetId, program.functionUrls, program.sinkWriterIdentity])
      .apply((v) => process.stdout.write(JSON.stringify(v)));
  `;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual([
    'gca_raw',
    {
      ingest: 'https://gca-ingest.run.app',
      recompute: 'https://gca-recompute.run.app',
      retention: 'https://gca-retention.run.app',
    },
    'serviceAccount:writer@gcp-sa-logging.iam.gserviceaccount.com',
  ]);
});
