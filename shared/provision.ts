/** Runs one of scripts/provision-*.sh and reads the KEY=value lines it prints (its progress goes to stderr). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export function runProvisionScript(name: string, what: string): Record<string, string> {
  const script = path.join(__dirname, '..', 'scripts', name);
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    throw new Error(`could not provision ${what} (${script}): ${(e as Error).message}`);
  }
  return provisionedVars(out);
}

/** The KEY=value lines a provisioning script prints on stdout. */
export function provisionedVars(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

let browser: string | undefined;

/** The Chromium the browser tests drive (scripts/provision-browser.sh: found, or installed from Debian's packages). */
export function browserPath(): string {
  if (browser) return browser;
  const vars = runProvisionScript('provision-browser.sh', 'Chromium');
  if (!vars.CHROMIUM_PATH) throw new Error('provision-browser.sh printed no CHROMIUM_PATH');
  browser = vars.CHROMIUM_PATH;
  return browser;
}
