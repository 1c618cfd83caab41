import { createHash } from 'node:crypto';
import { entryKey, quarantineId } from '../../../shared/normalize/entry-key';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url');

describe('entryKey', () => {
  const log = 'projects/p/logs/cloudaicompanion.googleapis.com%2Fmetadata';

  it('is base64url SHA-256 of logName, timestamp as sent and insertId, joined by newlines', () => {
    const key = entryKey(log, '2025-10-08T10:09:52.225165428Z', 'qe9xxub2s');
    expect(key).toBe(sha(`${log}\n2025-10-08T10:09:52.225165428Z\nqe9xxub2s`));
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('treats a missing insertId as empty', () => {
    expect(entryKey(log, 't', null)).toBe(sha(`${log}\nt\n`));
    expect(entryKey(log, 't')).toBe(entryKey(log, 't', undefined));
  });

  it('distinguishes timestamps that differ only in nanoseconds', () => {
    expect(entryKey(log, '2025-10-08T10:09:52.225165428Z', 'a')).not.toBe(
      entryKey(log, '2025-10-08T10:09:52.225165429Z', 'a'),
    );
  });
});

describe('quarantineId', () => {
  it('hashes source, message id, reason and raw', () => {
    expect(quarantineId('pubsub', 'm1', 'invalid_json', '{')).toBe(
      sha('pubsub\nm1\ninvalid_json\n{'),
    );
    expect(quarantineId('pubsub', null, 'invalid_json', '{')).toBe(
      sha('pubsub\n\ninvalid_json\n{'),
    );
  });
});
