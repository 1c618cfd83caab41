/** fast-check arbitraries of log entries: valid, mutated (one value changed), garbage. */
import fc from 'fast-check';
import {
  makeEntry,
  makeMetadataEntry,
  makeRequestEntry,
  makeResponseEntry,
  type JsonObject,
} from '../../helpers/entries';

/** Valid entries of every kind, as the builders make them. */
export const validEntry: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constant(null).map(() => makeRequestEntry()),
  fc.array(fc.string(), { maxLength: 4 }).map((msgs) => makeResponseEntry(msgs)),
  fc
    .record({
      key: fc.constantFrom(
        'codeExposure',
        'codeAcceptance',
        'chatExposure',
        'chatAcceptance',
        'apiRequest',
        'somethingNew',
      ),
      lines: fc.oneof(fc.nat(), fc.nat().map(String)),
      agentic: fc.boolean(),
      lang: fc.string(),
    })
    .map(({ key, lines, agentic, lang }) =>
      makeMetadataEntry(key, {
        originalRequestId: 'x',
        linesCount: lines,
        isAgentic: agentic,
        programmingLanguage: lang,
      }),
    ),
  fc.constant(null).map(() => makeEntry()),
);

/** Paths to every value of an object (for mutation). */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [
    prefix,
    ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...prefix, k])),
  ];
}

function setPath(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: unknown = structuredClone(root);
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** A valid entry with one value somewhere replaced by anything JSON (or deleted). */
export const mutatedEntry: fc.Arbitrary<unknown> = fc
  .tuple(validEntry, fc.nat(), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }))
  .map(([entry, n, value]) => {
    const all = paths(entry);
    return setPath(entry, all[n % all.length] as (string | number)[], value);
  });

export const anyInput: fc.Arbitrary<unknown> = fc.oneof(
  validEntry,
  mutatedEntry,
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }),
);

/** Texts: valid, mutated, cut short, or garbage. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  validEntry.map((e) => JSON.stringify(e)),
  mutatedEntry.map((e) => JSON.stringify(e) ?? 'undefined'),
  fc.tuple(validEntry, fc.nat()).map(([e, n]) => {
    const t = JSON.stringify(e);
    return t.slice(0, n % t.length);
  }),
  fc.string(),
  fc.json(),
);
