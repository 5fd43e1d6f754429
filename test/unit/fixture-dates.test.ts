/**
 * No fixture that expires. The client and the workflow refuse a release date in the past, so a fixed date in an
 * example or a test turns a walk-through and CI red the day it passes (examples/review.json once planned 2027-06-01).
 * Both checks run with the clock moved two years ahead: what passes here passes for at least that long.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readRequestFile } from '../../client/input-files';
import { parseInstant } from '../../workflows/timeline';

const ROOT = path.resolve(__dirname, '../..');
const TWO_YEARS_AHEAD = Date.now() + 2 * 366 * 24 * 3600 * 1000;

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'histories' ? [] : filesUnder(full, ext); // recorded histories are history
    return name.endsWith(ext) ? [full] : [];
  });
}

afterEach(() => {
  jest.useRealTimers();
});

/** Examples of parts of a request or an update (README), not whole requests: they carry no release date. */
const NOT_REQUESTS = new Set(['access-package.json', 'evaluation-record.json']);

test('every request under examples/ is still valid, read as the CLI reads it, with the clock two years ahead', () => {
  const examples = filesUnder(path.join(ROOT, 'examples'), '.json').filter((f) => !NOT_REQUESTS.has(path.basename(f)));
  expect(examples.length).toBeGreaterThan(0);
  jest.useFakeTimers({ now: TWO_YEARS_AHEAD }); // readRequestFile, like `review start`, judges by Date.now()
  for (const file of examples) {
    const release = parseInstant(readRequestFile(file).plannedReleaseAt ?? '');
    expect({ file: path.basename(file), releaseAfterTheMovedClock: release !== null && release > TWO_YEARS_AHEAD })
      .toEqual({ file: path.basename(file), releaseAfterTheMovedClock: true });
  }
});

/**
 * Release dates written into tests. A file that pins its own clock (a `NOW` it passes to the validators) judges its
 * dates by that clock and is left out; anything else meets the real clock. A date already past is a deliberate
 * refusal case; one not parseable as an instant is a malformed-input case. A date between today and two years from
 * now is a time bomb.
 */
test('no release date in a test lies between today and two years from now (unless the file pins its own clock)', () => {
  const files = filesUnder(path.join(ROOT, 'test'), '.ts');
  expect(files.length).toBeGreaterThan(20);
  const literal = /plannedReleaseAt['"]?\s*[:=]\s*['"]([^'"]+)['"]/g;
  const found: string[] = [];
  const bombs: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (/const NOW = Date\.parse\(/.test(text)) continue;
    for (const m of text.matchAll(literal)) {
      found.push(m[1]);
      const at = parseInstant(m[1]);
      if (at !== null && at > Date.now() && at <= TWO_YEARS_AHEAD) bombs.push(`${path.relative(ROOT, file)}: ${m[1]}`);
    }
  }
  expect(found.length).toBeGreaterThan(0); // the scan does see the release dates the tests write
  expect(bombs).toEqual([]);
});
