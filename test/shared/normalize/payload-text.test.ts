import fc from 'fast-check';
import {
  findPayloadText,
  jsonDepth,
  nestsDeeperThan,
} from '../../../shared/normalize/payload-text';

describe('findPayloadText', () => {
  it('returns the payload exactly as written, with its depth', () => {
    const text = '{ "insertId": "a", "jsonPayload" : {"x": [1, {"y": "}\\"]"}]} , "z": 1 }';
    expect(findPayloadText(text)).toEqual({ text: '{"x": [1, {"y": "}\\"]"}]}', depth: 3 });
  });

  it('ignores "jsonPayload" inside strings and nested objects', () => {
    const text = JSON.stringify({
      a: 'has "jsonPayload": {"fake": 1}',
      b: { jsonPayload: { fake: 2 } },
      jsonPayload: { real: true },
    });
    expect(JSON.parse(findPayloadText(text)?.text ?? 'null')).toEqual({ real: true });
  });

  it('decodes escaped keys', () => {
    expect(findPayloadText('{"a\\"b":1,"json\\u0050ayload":{"a":1}}')?.text).toBe('{"a":1}');
  });

  it('gives up on duplicate keys, and on no payload', () => {
    expect(findPayloadText('{"jsonPayload":{"a":1},"jsonPayload":{"b":2}}')).toBeNull();
    expect(findPayloadText('{"jsonPayload":{"a":1},"json\\u0050ayload":{"b":2}}')).toBeNull();
    expect(findPayloadText('{"textPayload":"x"}')).toBeNull();
    expect(findPayloadText('[1]')).toBeNull();
  });

  it('finds the same payload JSON.parse does, for any entry-like object', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
        fc.jsonValue({ maxDepth: 4 }),
        fc.boolean(),
        (rest, payload, pretty) => {
          const { jsonPayload: _drop, ...others } = rest;
          const entry = { ...others, jsonPayload: payload };
          const text = pretty ? JSON.stringify(entry, null, 2) : JSON.stringify(entry);
          const found = findPayloadText(text);
          if (found === null) throw new Error('payload not found');
          expect(JSON.parse(found.text)).toEqual(JSON.parse(JSON.stringify(payload)));
        },
      ),
    );
  });
});

describe('depth', () => {
  it('measures nesting of text and values alike', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":"[[[["}')).toBe(1);
    expect(jsonDepth('[[],[[{}]]]')).toBe(4);
    expect(jsonDepth('{"a":')).toBe(-1);
    expect(nestsDeeperThan([[], [[{}]]], 4)).toBe(false);
    expect(nestsDeeperThan([[], [[{}]]], 3)).toBe(true);
    expect(nestsDeeperThan('x', 0)).toBe(false);
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(nestsDeeperThan(deep, 100)).toBe(true);
  });
});
