import fc from 'fast-check';
import {
  FILTERED,
  findSecrets,
  scrubJsonText,
  scrubJsonValue,
  scrubSecrets,
  type SecretKind,
} from '../../../shared/content/scrub';

// Fake credentials, assembled so that no literal secret sits in the repository.
const fake = {
  rsaKey: [
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIEowIBAAKCAQEA7bq98Z1kS1W7v+QkXo3cF1bJm5zv0yZ2c1f8Xq2hJkL9mN0p',
    'Qr4sT6uV8wX0yZ2a4b6c8d0e2f4g6h8i0j2k4l6m8n0o2p4q6r8s0t2u4v6w8x0y',
    '-----END RSA PRIVATE KEY-----',
  ].join('\n'),
  opensshKey: [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
    'QyNTUxOQAAACDr7Vx2Yq9mXJ3kP5oT1sR8uW2zA4bC6dE8fG0hI2jK4lAAAAJgAAAAAAAAA',
    '-----END OPENSSH PRIVATE KEY-----',
  ].join('\n'),
  googleApiKey: 'AIza' + 'SyD3k9Xq2LmN8pQr5sTuVwXyZ01234567_-',
  oauthToken: 'ya29' + '.a0AfH6SMBx3Kq9Zr2Lm8Np5Qs7Tu1Vw3Xy5Za7Bc9De1Fg3Hi5Jk',
  refreshToken: '1//0' + 'gLmN8pQr5sTuVwXyZ0123456789abcdefABCDEF',
  awsKeyId: 'AKIA' + 'IOSFODNN7EXAMPLE',
  awsTempKeyId: 'ASIA' + 'Y34FZKBOKMUTVV7A',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY',
  ghp: 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
  gho: 'gho_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2',
  ghs: 'ghs_' + '0123456789abcdefABCDEF0123456789abcd',
  githubPat: 'github_pat_' + '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
  glpat: 'glpat-' + 'xYz12AbC34dEf56GhI78',
  slack: 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
  slackWebhook:
    'https://hooks.slack.com/services/' + 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  jwt:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9' +
    '.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ' +
    '.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  clientSecret: 'GOCSPX-' + 'AbCdEfGhIjKlMnOpQrStUvWxYz12',
};

type Case = [name: string, input: string, expected: string, kinds: SecretKind[]];

const positives: Case[] = [
  ['RSA private key block', `key:\n${fake.rsaKey}\nend`, `key:\n${FILTERED}\nend`, ['private_key']],
  ['OpenSSH private key block', fake.opensshKey, FILTERED, ['private_key']],
  [
    'private key block with \\n escapes (JSON text)',
    JSON.stringify({ k: fake.rsaKey }),
    `{"k":"${FILTERED}"}`,
    ['private_key'],
  ],
  [
    'truncated private key (no END line)',
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n\nThanks!',
    `${FILTERED}\n\nThanks!`,
    ['private_key'],
  ],
  [
    'Google API key',
    `const k = ${fake.googleApiKey};`,
    `const k = ${FILTERED};`,
    ['google_api_key'],
  ],
  [
    'OAuth access token',
    `token ${fake.oauthToken} end`,
    `token ${FILTERED} end`,
    ['google_oauth_token'],
  ],
  ['OAuth refresh token', `r=${fake.refreshToken}`, `r=${FILTERED}`, ['google_oauth_token']],
  [
    'OAuth client secret',
    `use ${fake.clientSecret} now`,
    `use ${FILTERED} now`,
    ['google_oauth_client_secret'],
  ],
  [
    'service-account JSON key',
    `{"type": "service_account", "private_key_id": "8d3f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f", "private_key": ${JSON.stringify(fake.rsaKey + '\n')}, "client_email": "sa@p.iam.gserviceaccount.com"}`,
    `{"type": "service_account", "private_key_id": "${FILTERED}", "private_key": "${FILTERED}", "client_email": "sa@p.iam.gserviceaccount.com"}`,
    ['private_key', 'assignment', 'assignment'],
  ],
  [
    'AWS access key id',
    `aws_access_key_id = ${fake.awsKeyId}`,
    `aws_access_key_id = ${FILTERED}`,
    ['aws_access_key_id'],
  ],
  ['AWS temporary key id', `"${fake.awsTempKeyId}"`, `"${FILTERED}"`, ['aws_access_key_id']],
  [
    'AWS secret key in an assignment',
    `aws_secret_access_key = ${fake.awsSecret}`,
    `aws_secret_access_key = ${FILTERED}`,
    ['assignment'],
  ],
  [
    'AWS secret key in an env line',
    `export AWS_SECRET_ACCESS_KEY=${fake.awsSecret}\n`,
    `export AWS_SECRET_ACCESS_KEY=${FILTERED}\n`,
    ['assignment'],
  ],
  [
    'GitHub classic token',
    `git push https://${fake.ghp}@github.com`,
    `git push https://${FILTERED}@github.com`,
    ['github_token'],
  ],
  ['GitHub OAuth token', fake.gho, FILTERED, ['github_token']],
  ['GitHub app token', `(${fake.ghs})`, `(${FILTERED})`, ['github_token']],
  ['GitHub fine-grained token', `pat: ${fake.githubPat}`, `pat: ${FILTERED}`, ['github_token']],
  ['GitLab token', `PRIVATE-TOKEN: ${fake.glpat}`, `PRIVATE-TOKEN: ${FILTERED}`, ['gitlab_token']],
  ['Slack bot token', `slack ${fake.slack}`, `slack ${FILTERED}`, ['slack_token']],
  ['Slack webhook', `url=${fake.slackWebhook}`, `url=${FILTERED}`, ['slack_webhook']],
  ['JWT', `jwt ${fake.jwt} end`, `jwt ${FILTERED} end`, ['jwt']],
  [
    'Authorization: Bearer header',
    'curl -H "Authorization: Bearer abc123def456ghi789" https://x',
    `curl -H "Authorization: Bearer ${FILTERED}" https://x`,
    ['bearer_token'],
  ],
  [
    'bearer token in code',
    "headers = {'Authorization': 'Bearer sk-live-0123456789abcdef'}",
    `headers = {'Authorization': 'Bearer ${FILTERED}'}`,
    ['bearer_token'],
  ],
  [
    'basic auth header',
    'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==',
    `Authorization: Basic ${FILTERED}`,
    ['bearer_token'],
  ],
  [
    'password= in a URL query',
    'https://h/login?user=bob&password=hunter2&x=1',
    `https://h/login?user=bob&password=${FILTERED}&x=1`,
    ['assignment'],
  ],
  [
    'password in URL credentials',
    'postgres://app:s3cr3t-pw@db:5432/x',
    `postgres://app:${FILTERED}@db:5432/x`,
    ['url_credentials'],
  ],
  [
    'quoted password assignment',
    'password = "correct horse battery"',
    `password = "${FILTERED}"`,
    ['assignment'],
  ],
  [
    'single-quoted secret',
    "SECRET_KEY = 'django-insecure-abc123'",
    `SECRET_KEY = '${FILTERED}'`,
    ['assignment'],
  ],
  [
    'YAML secret:',
    'secret: s3cr3t-value\nother: 1',
    `secret: ${FILTERED}\nother: 1`,
    ['assignment'],
  ],
  [
    'YAML password with digits',
    '  password: hunter2\n',
    `  password: ${FILTERED}\n`,
    ['assignment'],
  ],
  ['api_key = ', 'api_key = sk_live_abcdef0123456789', `api_key = ${FILTERED}`, ['assignment']],
  [
    'apiKey in JS',
    "const client = new Client({ apiKey: 'abcd-1234-efgh' });",
    `const client = new Client({ apiKey: '${FILTERED}' });`,
    ['assignment'],
  ],
  ['x-api-key header', 'x-api-key: 0123456789abcdef0123', `x-api-key: ${FILTERED}`, ['assignment']],
  [
    '"token": "..." JSON',
    '{"token": "abc.def-123", "n": 1}',
    `{"token": "${FILTERED}", "n": 1}`,
    ['assignment'],
  ],
  [
    'escaped JSON inside JSON text',
    '{"content":"{\\"password\\":\\"hunter2\\"}"}',
    `{"content":"{\\"password\\":\\"${FILTERED}\\"}"}`,
    ['assignment'],
  ],
  ['client_secret', 'client_secret: "abc"', `client_secret: "${FILTERED}"`, ['assignment']],
  [
    'Go := with a literal',
    'dbPassword := "pa55w0rd!"',
    `dbPassword := "${FILTERED}"`,
    ['assignment'],
  ],
  [
    'PHP => with a literal',
    "'db_password' => 'pa55'",
    `'db_password' => '${FILTERED}'`,
    ['assignment'],
  ],
  [
    '--password=',
    'mysql --password=Sup3rS3cret db',
    `mysql --password=${FILTERED} db`,
    ['assignment'],
  ],
  [
    '.env line with a plain word',
    'DB_PASSWORD=hunter\nDB_USER=app',
    `DB_PASSWORD=${FILTERED}\nDB_USER=app`,
    ['assignment'],
  ],
];

const negatives: [name: string, input: string][] = [
  ['prose mentioning passwords', 'Please reset your password and rotate the secret token monthly.'],
  ['password read from the environment', 'password = getenv("DB_PASSWORD")'],
  ['password from os.environ', "password = os.environ['DB_PASSWORD']"],
  ['password from process.env', 'const password = process.env.DB_PASSWORD;'],
  ['python type hint', 'def login(user: str, password: str) -> bool:'],
  ['python Optional hint', 'password: Optional[str] = None'],
  ['TypeScript type', 'interface Creds { password: string; token?: string }'],
  ['pydantic SecretStr', '    api_key: SecretStr'],
  ['assignment of a variable named like the key', 'self.password = password'],
  ['keyword argument', 'connect(host=host, password=pw, port=5432)'],
  ['object shorthand in JS', 'login({ username: user, password: pw })'],
  ['comparison', 'if password == confirm_password:'],
  ['shell variable', 'mysql --password=$DB_PASSWORD'],
  ['templated value', 'password: ${{ secrets.DB_PASSWORD }}'],
  ['helm template', 'password: "{{ .Values.db.password }}"'],
  ['placeholder in angle brackets', 'api_key = "<your-api-key>"'],
  ['masked value', 'password: "********"'],
  ['empty string', 'token = ""'],
  ['null value', 'token = None'],
  ['bearer with a shell variable', 'curl -H "Authorization: Bearer $TOKEN" https://x'],
  ['bearer placeholder', 'Authorization: Bearer <token>'],
  ['bearer in prose', 'Bearer authentication is simple; use Bearer tokens over TLS.'],
  ['key names only', 'max_tokens = 1024\ntoken_count: 17\npassword_hash = hash(pw)'],
  ['plural and longer keys', 'secrets:\n  - name: x\ntokens = tokenize(text)'],
  ['ordinary code with keys', 'for key, value in d.items():\n    cache[key] = value'],
  ['uppercase word that is not an AWS key', 'AKIAS is not a key; neither is ASIAN'],
  ['short eyJ that is not a JWT', 'eyJhb.eyJ'],
  ['URL without credentials', 'see https://example.com:8443/path@v1'],
  ['ghp_ too short', 'ghp_short'],
  ['already filtered', `password = "${FILTERED}"`],
  [
    'PEM public key',
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----',
  ],
  [
    'certificate',
    '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq\n-----END CERTIFICATE-----',
  ],
  ['spec sample with a bearer variable', 'TOKEN=$(gcloud auth print-access-token)'],
];

/** Each of these makes a naive backtracking pattern explode; all must simply finish. */
const adversarial = [
  'password=' + 'a'.repeat(200_000),
  'password = "' + 'a\\'.repeat(100_000),
  '-----BEGIN RSA PRIVATE KEY-----' + '\n' + 'A'.repeat(300_000),
  ('-----BEGIN PRIVATE KEY-----' + ' x').repeat(5_000),
  'eyJ' + 'a'.repeat(100_000) + '.eyJ' + 'b'.repeat(100_000),
  'Bearer ' + 'a'.repeat(200_000) + '!',
  '://' + 'u'.repeat(200) + ':'.repeat(50_000),
  'token: '.repeat(50_000),
  'AKIA'.repeat(50_000),
  'ghp_'.repeat(50_000),
  ('authorization: ' + ' '.repeat(10)).repeat(10_000),
];

describe('scrubSecrets', () => {
  it.each(positives)('filters %s', (_name, input, expected, kinds) => {
    expect(scrubSecrets(input)).toBe(expected);
    expect(
      findSecrets(input)
        .map((f) => f.kind)
        .sort(),
    ).toEqual([...kinds].sort());
  });

  it.each(negatives)('keeps %s', (_name, input) => {
    expect(scrubSecrets(input)).toBe(input);
    expect(findSecrets(input)).toEqual([]);
  });

  it('returns the same string object when nothing is found', () => {
    const text = 'plain text without anything sensitive '.repeat(10);
    expect(scrubSecrets(text)).toBe(text);
  });

  it('is idempotent', () => {
    for (const [, input] of positives) {
      const once = scrubSecrets(input);
      expect(scrubSecrets(once)).toBe(once);
    }
  });

  it('handles long adversarial inputs in linear-ish time without hanging', () => {
    for (const input of adversarial) {
      const out = scrubSecrets(input);
      expect(typeof out).toBe('string');
      expect(out.length).toBeLessThanOrEqual(input.length + FILTERED.length * 60_000);
    }
  });
});

describe('scrubJsonText', () => {
  it('filters secrets used as object keys, numbering keys that become alike', () => {
    const a = `ghp_${'a'.repeat(36)}`;
    const b = `ghp_${'b'.repeat(36)}`;
    const out = JSON.parse(scrubJsonText(JSON.stringify({ [a]: 1, [b]: 2, n: { [a]: 'v' } })));
    expect(out).toEqual({ '[FILTERED]': 1, '[FILTERED] #2': 2, n: { '[FILTERED]': 'v' } });
  });

  it('keeps tool arguments valid JSON', () => {
    const args = JSON.stringify({
      file_path: '/app/.env',
      new_string: `GITHUB_TOKEN=${fake.ghp}\npassword = "x\\"y"\nkey:\n${fake.rsaKey}`,
      instruction: 'add the token',
    });
    const out = scrubJsonText(args);
    const parsed = JSON.parse(out) as Record<string, string>;
    expect(parsed.file_path).toBe('/app/.env');
    expect(parsed.new_string).toBe(
      `GITHUB_TOKEN=${FILTERED}\npassword = "${FILTERED}"\nkey:\n${FILTERED}`,
    );
    expect(parsed.instruction).toBe('add the token');
  });

  it('filters a secret-named key whatever its value looks like', () => {
    const out = scrubJsonText('{"password":"plainword","nested":{"apiKey":"k"},"list":["x"]}');
    expect(JSON.parse(out)).toEqual({
      password: FILTERED,
      nested: { apiKey: FILTERED },
      list: ['x'],
    });
  });

  it('returns the same text when there is nothing to filter', () => {
    const json = '{"read_file":{"absolute_path":"/usr/local/test.cpp"}}';
    expect(scrubJsonText(json)).toBe(json);
  });

  it('scrubs text that is not JSON as text', () => {
    expect(scrubJsonText(`not json ${fake.ghp}`)).toBe(`not json ${FILTERED}`);
  });

  it('walks parsed values keeping structure', () => {
    expect(scrubJsonValue({ a: [fake.awsKeyId, 1, null], secret: 'x', b: { token: '' } })).toEqual({
      a: [FILTERED, 1, null],
      secret: FILTERED,
      b: { token: '' },
    });
  });
});

/**
 * Text that JSON escaping changes, so that a text scrub of the JSON text would miss what the
 * scrub of the string itself finds: [name, string, scrubSecrets(string)].
 */
const escapedInJson: [name: string, text: string, expected: string][] = [
  [
    'a JSON string literal in code (escaped twice inside JSON text)',
    'const c = "{\\"password\\": \\"hunter2\\"}";',
    `const c = "{\\"password\\": \\"${FILTERED}\\"}";`,
  ],
  ['a tab between key and value', 'api_key:\t"sk-live-abc123"', `api_key:\t"${FILTERED}"`],
  ['a tab before the separator', 'password\t= "hunter2"', `password\t= "${FILTERED}"`],
  [
    'a tab after Authorization:',
    'Authorization:\tBearer abcdefghijkl',
    `Authorization:\tBearer ${FILTERED}`,
  ],
  ['a token at the start of a line', `my token:\n${fake.ghp}\n`, `my token:\n${FILTERED}\n`],
  ['a token after a tab', `GH\t${fake.ghp}`, `GH\t${FILTERED}`],
  [
    'a token in a JSON string literal in code (escaped twice inside JSON text)',
    `const cfg = "{\\"gh\\": \\"${fake.ghp}\\"}";`,
    `const cfg = "{\\"gh\\": \\"${FILTERED}\\"}";`,
  ],
];

describe('scrubJsonText and JSON escaping', () => {
  /** The string at `a` after the JSON text of `{a: text}` went through scrubJsonText. */
  const throughJson = (text: string): unknown =>
    (JSON.parse(scrubJsonText(JSON.stringify({ a: text }))) as { a: unknown }).a;

  it.each(escapedInJson)('filters %s as the plain-text scrub does', (_name, text, expected) => {
    expect(scrubSecrets(text)).toBe(expected);
    expect(throughJson(text)).toBe(expected);
  });

  it('filters a token in a JSON string inside a JSON string (a tool call in a payload)', () => {
    const call = `write_file(${JSON.stringify({ file_path: '.env', content: `GH=${fake.ghp}\n` })})`;
    const payload = JSON.stringify({ messages: [{ author: 'MODEL', content: call }] });
    const out = scrubJsonText(payload);
    expect(out).not.toContain(fake.ghp);
    expect(JSON.parse(out)).toEqual({
      messages: [
        {
          author: 'MODEL',
          content: `write_file({"file_path":".env","content":"GH=${FILTERED}\\n"})`,
        },
      ],
    });
  });

  it('filters what other serializers escape: \\/ and \\u00XX', () => {
    const slash = '{"url":"postgres:\\/\\/app:s3cr3t-pw@db\\/x"}';
    expect(JSON.parse(scrubJsonText(slash))).toEqual({ url: `postgres://app:${FILTERED}@db/x` });
    const unicode = '{"line":"api_key \\u003d \\u0027abc123\\u0027"}';
    expect(JSON.parse(scrubJsonText(unicode))).toEqual({ line: `api_key = '${FILTERED}'` });
  });

  it('still filters what spans a key and its value', () => {
    const json = JSON.stringify({ headers: { Authorization: 'Basic dXNlcjpwYXNzd29yZDEyMw==' } });
    expect(JSON.parse(scrubJsonText(json))).toEqual({
      headers: { Authorization: `Basic ${FILTERED}` },
    });
  });

  it('gives every sample and adversarial string exactly its plain-text scrub', () => {
    const samples = [
      ...positives.map(([, input]) => input),
      ...negatives.map(([, input]) => input),
      ...escapedInJson.map(([, text]) => text),
      ...adversarial,
    ];
    for (const text of samples) {
      const scrubbed = scrubSecrets(text);
      expect(throughJson(text)).toBe(scrubbed);
      // Nested deeper, and in an array: the same.
      const nested = JSON.parse(scrubJsonText(JSON.stringify({ x: { y: [1, text] } }))) as {
        x: { y: unknown[] };
      };
      expect(nested.x.y).toEqual([1, scrubbed]);
    }
  });

  it('scrubs text that is not JSON exactly as scrubSecrets does', () => {
    for (const [, input] of positives) {
      let json = true;
      try {
        JSON.parse(input);
      } catch {
        json = false;
      }
      if (!json) expect(scrubJsonText(input)).toBe(scrubSecrets(input));
    }
  });
});

describe('scrubber properties', () => {
  const secrets = [fake.ghp, fake.awsKeyId, fake.jwt, fake.rsaKey, fake.glpat, fake.googleApiKey];
  const text = fc.string({ unit: 'binary', maxLength: 300 });

  it('never throws, and is idempotent, on arbitrary text', () => {
    fc.assert(
      fc.property(text, (s) => {
        const once = scrubSecrets(s);
        expect(scrubSecrets(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('removes a known secret wherever it is put between words', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.constantFrom(...secrets),
        fc.string({ maxLength: 80 }),
        (before, secret, after) => {
          const out = scrubSecrets(`${before} ${secret} ${after}`);
          expect(out).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives any string inside JSON text its plain-text scrub', () => {
    // Pieces that JSON escaping changes (tabs, newlines, quotes, backslashes, control
    // characters) around secrets and key words.
    const piece = fc.oneof(
      fc.constantFrom(...secrets, 'password', 'api_key', 'Authorization', 'Bearer ', 'token'),
      fc.constantFrom(':', '=', ' ', '\t', '\n', '"', '\\"', '\\', "'", '\u0001', 'abc12345'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
        (s) => {
          const out = JSON.parse(scrubJsonText(JSON.stringify({ a: s }))) as { a: string };
          expect(out.a).toBe(scrubSecrets(s));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps any JSON valid and its structure intact', () => {
    const withSecrets = fc.oneof(
      fc.string(),
      fc.constantFrom(...secrets),
      fc.constant('password = "x"'),
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), withSecrets), (value, extra) => {
        const json = JSON.stringify({ value, extra });
        const out = scrubJsonText(json);
        const parsed = JSON.parse(out) as { value: unknown; extra: Record<string, unknown> };
        expect(Object.keys(parsed.extra).sort()).toEqual(Object.keys(extra).sort());
        for (const s of secrets) expect(out).not.toContain(s);
      }),
      { numRuns: 300 },
    );
  });
});

describe('scrubJsonValue depth', () => {
  it('replaces a subtree nested deeper than the limit', () => {
    let value: unknown = 'x';
    for (let i = 0; i < 200; i++) value = [value];
    const out = JSON.stringify(scrubJsonValue(value));
    expect(out).toContain(FILTERED);
    expect(out).not.toContain('"x"');
  });
});
