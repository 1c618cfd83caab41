/** A bad config value stops the program before any resource, naming the key. */
import * as pulumi from '@pulumi/pulumi';
import { installMocks, stackConfig, type Recorded } from './pulumi-mocks';

const recorded: Recorded[] = installMocks();

it('fails the preview with a message naming the bad key', () => {
  pulumi.runtime.setAllConfig(stackConfig({ 'gca-analytics:maxDeliveryAttempts': '500' }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after setMocks
  expect(() => require('../../infra/index')).toThrow(
    /Invalid config gca-analytics:maxDeliveryAttempts: must be between 5 and 100/,
  );
  expect(recorded).toEqual([]);
});
