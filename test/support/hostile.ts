/** fast-check arbitraries for hostile input: wrong types, huge and odd strings, injection attempts. */
import fc from 'fast-check';

const nasty = [
  'Eve\r\nBcc: attacker@evil.example', 'x@y.example\r\nBcc: attacker@evil.example', 'a@b.c>\nX-Injected: 1', '<script>alert(1)</script>',
  "'; DROP TABLE reviews; --", '\u0000', '\u202e', '../../etc/passwd', 'America/New_York\n', 'Mars/Olympus', '2027-01-20T09:00:00',
  '2027-02-30T09:00:00-05:00', '1999-01-01T00:00:00Z', 'NaN', '', ' ', 'lab', '__proto__', 'constructor', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '👩‍🔬', 'é'.repeat(300),
];

export const hostileString = fc.oneof(
  fc.constantFrom(...nasty),
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.integer({ min: 1, max: 60_000 }).map((n) => 'x'.repeat(n)),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
  fc.anything({ maxDepth: 2 }),
);

/** A deep copy of `base` with the value at one path replaced (or a new key added). */
export function mutate(base: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) return copy;
    node = node[k] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = value;
  return copy;
}

/** Every path of a JSON value (objects and arrays), plus one unknown key per object. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...(Array.isArray(value) ? [] : [[...prefix, 'unexpected']]), ...keys.flatMap((k) => pathsOf((value as Record<string | number, unknown>)[k], [...prefix, k]))].filter((p) => p.length > 0);
}
