/**
 * Driving the dashboard with the keyboard alone, as a person who cannot use a mouse does: Tab through the page,
 * see what has the focus, activate it with Enter or Space. Pages of other tests can use these too.
 */
import type { Page } from 'playwright-core';

export interface Focused {
  tag: string;
  /** Its accessible text: a link's or button's text, a field's label, else its id. */
  name: string;
  id: string;
  /** Whether :focus-visible matches (the browser shows a focus indicator for keyboard focus). */
  focusVisible: boolean;
  /** The computed outline of the focused element ("3px solid rgb(…)"), "none" when there is none. */
  outline: string;
}

/** What has the keyboard focus now (null: nothing but the document). */
export async function focusedElement(page: Page): Promise<Focused | null> {
  return page.evaluate<Focused | null>(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    const name = (el.getAttribute('aria-label') || label || el.innerText || el.value || el.id || '').trim().replace(/\\s+/g, ' ');
    const style = getComputedStyle(el);
    return { tag: el.tagName.toLowerCase(), name, id: el.id, focusVisible: el.matches(':focus-visible'),
      outline: style.outlineStyle === 'none' || style.outlineWidth === '0px' ? 'none' : style.outlineWidth + ' ' + style.outlineStyle + ' ' + style.outlineColor };
  })()`);
}

/** Presses Tab `count` times and returns what had the focus after each press. */
export async function tabOrder(page: Page, count: number): Promise<(Focused | null)[]> {
  const out: (Focused | null)[] = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    out.push(await focusedElement(page));
  }
  return out;
}

/**
 * Presses Tab until `matches` holds for the focused element; fails after `max` presses (the element is not
 * reachable by keyboard). Returns the number of presses it took.
 */
export async function pressUntilFocused(page: Page, matches: (f: Focused) => boolean, max = 150): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    const f = await focusedElement(page);
    if (f && matches(f)) return i;
  }
  throw new Error(`not reachable with Tab within ${max} presses`);
}

/**
 * Every element a mouse could operate (visible links, buttons, fields) that Tab never reaches, going once
 * round the whole page: the list a keyboard user would be locked out of. Empty when the page is fully operable.
 */
export async function unreachableByTab(page: Page, max = 400): Promise<string[]> {
  await page.evaluate('document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)');
  await page.evaluate(`(() => { document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')
    .forEach((el, i) => el.setAttribute('data-kb-index', String(i))); })()`);
  const seen = new Set<string>();
  let first: string | null = null;
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const index = await page.evaluate<string | null>(`document.activeElement ? document.activeElement.getAttribute('data-kb-index') : null`);
    if (index === null) continue;
    // Round the page once. A date-time field takes several Tabs (one per part), so only the first element seen
    // again ends the round, not any repeat.
    if (index === first && seen.size > 1) break;
    first ??= index;
    seen.add(index);
  }
  return page.evaluate<string[]>(`Array.from(document.querySelectorAll('[data-kb-index]'))
    .filter((el) => !${JSON.stringify([...seen])}.includes(el.getAttribute('data-kb-index')))
    .filter((el) => el.getAttribute('tabindex') !== '-1' && !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
    .map((el) => el.outerHTML.slice(0, 120))`);
}
