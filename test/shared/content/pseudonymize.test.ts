import { createHmac } from 'node:crypto';
import {
  createPseudonymizer,
  isPseudonym,
  PseudonymizeKeyError,
} from '../../../shared/content/pseudonymize';

const KEY = 'test-key-0123456789abcdef';

describe('createPseudonymizer', () => {
  it('is a keyed HMAC-SHA256, u_ + 22 base64url chars', () => {
    const p = createPseudonymizer(KEY);
    const expected =
      'u_' +
      createHmac('sha256', Buffer.from(KEY))
        .update('user@company.com')
        .digest('base64url')
        .slice(0, 22);
    expect(p('user@company.com')).toBe(expected);
    expect(p('user@company.com')).toMatch(/^u_[A-Za-z0-9_-]{22}$/);
    expect(isPseudonym(p('user@company.com'))).toBe(true);
    expect(isPseudonym('user@company.com')).toBe(false);
  });

  it('is stable across instances (runs) and distinct per user and per key', () => {
    const a = createPseudonymizer(KEY);
    const b = createPseudonymizer(Buffer.from(KEY, 'utf8'));
    const c = createPseudonymizer(`${KEY}\n`); // a key file's trailing newline
    const other = createPseudonymizer('another-key-0123456789');
    expect(a('alice@x.com')).toBe(b('alice@x.com'));
    expect(a('alice@x.com')).toBe(c('alice@x.com'));
    expect(a('alice@x.com')).not.toBe(a('bob@x.com'));
    expect(a('alice@x.com')).not.toBe(other('alice@x.com'));
  });

  it('has no collisions over many users', () => {
    const p = createPseudonymizer(KEY);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(p(`user${i}@company.com`));
    expect(seen.size).toBe(20_000);
  });

  it('refuses a short key without echoing it', () => {
    expect.assertions(3);
    expect(() => createPseudonymizer('short')).toThrow(PseudonymizeKeyError);
    expect(() => createPseudonymizer('   ')).toThrow(/at least 16 bytes/);
    try {
      createPseudonymizer('tiny-secret');
    } catch (err) {
      expect(String(err)).not.toContain('tiny-secret');
    }
  });
});
