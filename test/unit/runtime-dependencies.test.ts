/**
 * Every package the shipped code imports at run time is a dependency, not a devDependency: `npm ci --omit=dev`
 * must leave `review serve` and the worker able to load (issue 13 #11: the dashboard's Outbox imported mailparser,
 * a devDependency, so `review serve` failed to start). Type-only imports vanish when compiled and are exempt.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SHIPPED = ['activities', 'bin', 'client', 'shared', 'worker', 'workflows'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full);
    return /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `pkg` or `@scope/pkg` of a bare specifier. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

test('runtime imports of the shipped folders are all dependencies', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const missing: string[] = [];
  let seen = 0;
  for (const file of SHIPPED.flatMap((d) => files(path.join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    // `import x from 'p'`, `import { a } from 'p'`, `export … from 'p'`, `require('p')`; not `import type`.
    const specifiers = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]),
      ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]),
      ...[...text.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]),
    ];
    for (const s of specifiers) {
      if (s.startsWith('.') || s.startsWith('node:') || builtinModules.includes(s)) continue;
      seen++;
      if (!Object.hasOwn(pkg.dependencies, packageOf(s))) missing.push(`${path.relative(ROOT, file)}: ${s}`);
    }
  }
  expect(seen).toBeGreaterThan(20); // the scan found the imports at all
  expect(missing).toEqual([]);
});
