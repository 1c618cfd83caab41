/** The Pub/Sub names of a stack, as infra/ creates them and `dead-letters` derives them. */
import { NAME_PREFIX_PATTERN, pubsubNames } from '../../../shared/ops/pubsub-names';
import { stackNames } from '../../../infra/naming';

describe('pubsubNames', () => {
  it('prefixes the names with the stack prefix; none gives the first release names', () => {
    expect(pubsubNames('dev')).toEqual({
      topic: 'dev-gca-logs',
      deadLetterTopic: 'dev-gca-logs-dead-letter',
      deadLetterSubscription: 'dev-gca-logs-dead-letter-pull',
      pushSubscription: 'dev-gca-logs-ingest-push',
    });
    expect(pubsubNames('')).toEqual({
      topic: 'gca-logs',
      deadLetterTopic: 'gca-logs-dead-letter',
      deadLetterSubscription: 'gca-logs-dead-letter-pull',
      pushSubscription: 'gca-logs-ingest-push',
    });
  });

  it('gives the names infra/ creates, for any prefix infra takes', () => {
    for (const prefix of ['', 'dev', 'prod', 'p2', 'abcdef']) {
      const stack = stackNames(prefix, 'my-project');
      expect(pubsubNames(prefix)).toEqual({
        topic: stack.topic,
        deadLetterTopic: stack.deadLetterTopic,
        deadLetterSubscription: stack.deadLetterSubscription,
        pushSubscription: stack.pushSubscription,
      });
    }
  });

  it('refuses a prefix infra refuses', () => {
    for (const prefix of ['Dev', 'dev-1', '1dev', 'toolong7', ' dev']) {
      expect(NAME_PREFIX_PATTERN.test(prefix)).toBe(false);
      expect(() => pubsubNames(prefix)).toThrow(/namePrefix/);
      expect(() => stackNames(prefix, 'p')).toThrow(/namePrefix/);
    }
  });
});
