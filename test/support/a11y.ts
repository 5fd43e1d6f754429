/**
 * Accessibility checks for the dashboard's browser tests: axe-core (pinned, a devDependency) run inside the
 * page against WCAG 2.0/2.1 level A and AA, the Section 508 bar. Call `expectNoAxeViolations(page, 'what
 * state this is')` on every page and state a test reaches; it fails with each violation's rule, impact and
 * the elements it found, so the message alone says what to fix.
 *
 * axe is injected with page.evaluate (DevTools protocol), which the pages' strict Content-Security-Policy
 * does not govern: no CSP relaxation is needed and the page under test stays as served.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

/** The tags of WCAG 2.0 and 2.1, levels A and AA (axe's names). */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** Runs axe on the page as it is now; returns the violations at the WCAG 2.1 A/AA tags. */
export async function axeViolations(page: Page, tags: string[] = WCAG_21_AA): Promise<AxeViolation[]> {
  // Injected afresh each time: a document replaced in place (setContent, document.open) keeps the old window's axe.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate<AxeViolation[]>(`window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(tags)} }, resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300) })) })))`);
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target} — ${n.summary}`).join('\n')}`).join('\n');
}

/** Fails the test if axe finds any WCAG 2.1 A/AA violation; `state` names the page and state in the message. */
export async function expectNoAxeViolations(page: Page, state: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length) throw new Error(`axe: ${violations.length} WCAG 2.1 A/AA violation(s) on ${state} (${page.url()}):\n${describeViolations(violations)}`);
}
