/**
 * Server-rendered HTML without a template engine: `html` escapes every interpolated value unless it is
 * already Html (built by `html` itself, or `raw` for trusted constants). Pages are plain, accessible HTML with
 * one inline style sheet and one tiny inline script, both allowed by hash in the Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { inZone } from '../../shared/zone-time';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const raw = (s: string): Html => new Html(s);

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return esc(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new Html(out);
}

/** "2026-12-29 10:15 EST" in the viewer's zone. */
export function when(iso: string | null | undefined, zone: string): string {
  if (!iso) return '—';
  return inZone(iso, zone, 'minute') ?? iso;
}

/**
 * The instant in words a screen reader reads well, in the viewer's zone, inside a machine-readable
 * `<time datetime>`: "Monday 7 December 2026, 17:00 EST". en-US, so US zones keep their abbreviations.
 */
export function whenWords(iso: string | null | undefined, zone: string): Html {
  if (!iso) return html`<span>—</span>`;
  const dt = DateTime.fromISO(iso, { setZone: true });
  if (!dt.isValid) return html`<span>${iso}</span>`;
  const local = dt.setZone(zone).setLocale('en-US');
  return html`<time datetime="${local.toISO({ suppressMilliseconds: true }) ?? iso}">${inZone(iso, zone, 'words') ?? iso}</time>`;
}

/**
 * "As of" for pages read from the server's copy of the review cards (read-model/card-cache.ts): the instant to the
 * second, in words, so a reader knows how current the figures are.
 */
export function asOfNote(iso: string, zone: string): Html {
  const dt = DateTime.fromISO(iso, { setZone: true });
  const local = dt.isValid ? dt.setZone(zone).setLocale('en-US') : null;
  const text = local ? inZone(iso, zone, 'words-seconds') ?? iso : iso;
  return html`<p class="muted" id="as-of">As of <time datetime="${local?.toISO() ?? iso}">${text}</time> (refreshed every few seconds; changes you make here show at once).</p>`;
}

export const STYLE = `
:root { --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --bg:#fff; --accent:#0550ae; --ok:#1a7f37; --warn:#9a6700; --bad:#b3261e; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #0a3069; outline-offset: 2px; box-shadow: 0 0 0 5px #ffbf47; }
main:focus-visible { outline: none; box-shadow: none; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
header.top { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top .brand { font-weight: 700; margin-right: 12px; }
header.top nav a { margin-right: 14px; }
header.top .who { margin-left: auto; color: var(--muted); display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
header.top .who form { display: flex; gap: 6px; align-items: center; margin: 0; }
header.top .who input[type=text] { width: 13em; padding: 3px 6px; }
header.top .who button { margin-top: 0; padding: 3px 10px; }
main { padding: 16px 20px 48px; max-width: 1180px; }
h1 { font-size: 1.5rem; margin: 8px 0 12px; } h2 { font-size: 1.15rem; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: .82rem; font-weight: 600; border: 1px solid transparent; }
.badge.phase { background: #ddf4ff; color: #0a3069; } .badge.closed { background: #eaeef2; color: #24292f; }
.badge.overdue { background: #fff1e5; color: #953800; border-color: #fb8f44; } .badge.critical { background: #ffebe9; color: var(--bad); border-color: #ff8182; }
.badge.ok { background: #dafbe1; color: #116329; }
.flash { padding: 10px 14px; border-radius: 6px; margin: 10px 0; } .flash.ok { background: #dafbe1; } .flash.err { background: #ffebe9; border: 1px solid #ff8182; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; } dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.actions { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; }
form.card, section.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fff; }
form.card h3 { margin: 0 0 8px; font-size: 1rem; }
label { display: block; font-weight: 600; margin: 8px 0 2px; } label .hint { font-weight: 400; color: var(--muted); }
input[type=text], input[type=email], input[type=number], input[type=password], input[type=datetime-local], select, textarea { width: 100%; padding: 6px 8px; border: 1px solid #8c959f; border-radius: 6px; font: inherit; }
textarea { min-height: 4.5em; }
[aria-invalid=true] { border-color: var(--bad) !important; background: #fff8f7; }
.field-error { color: var(--bad); font-weight: 600; margin: 2px 0 0; }
button, a.button { margin-top: 10px; padding: 6px 14px; border-radius: 6px; border: 1px solid #1f6feb; background: #1f6feb; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
a.button { display: inline-block; text-decoration: none; }
button.secondary { background: #fff; color: #1f6feb; } button.danger { background: var(--bad); border-color: var(--bad); }
.muted { color: var(--muted); } .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
td.digest { word-break: break-all; min-width: 14em; }
.timeline { border: 1px solid var(--line); border-radius: 8px; padding: 6px; background: #fff; overflow-x: auto; }
.timeline svg { display: block; width: 100%; height: auto; min-width: 760px; }
.tl-lane { font-size: 12px; fill: var(--muted); } .tl-axis { stroke: #8c959f; } .tl-grid { stroke: #eaeef2; }
.tl-tick { font-size: 11px; fill: var(--muted); }
.tl-band { fill: #b6e3ff; stroke: #0969da; } .tl-band.waiting { fill: #fff8c5; stroke: #9a6700; stroke-dasharray: 4 3; } .tl-band.disposal { fill: #eaeef2; stroke: #57606a; }
.tl-pause { fill: url(#tl-hatch); stroke: #9a6700; }
.tl-due { fill: #fff; stroke: #0550ae; stroke-width: 2; } .tl-due.overdue, .tl-due.not-completed { stroke: var(--bad); } .tl-due.submitted { fill: #1a7f37; stroke: #1a7f37; }
.tl-sub { fill: #1a7f37; } .tl-flag { font-size: 11px; font-weight: 700; fill: var(--bad); } .tl-notice.failed { fill: none; stroke: var(--bad); stroke-width: 2.5; } .tl-notice { fill: #0969da; } .tl-esc { fill: var(--bad); }
.tl-today { stroke: #8250df; stroke-width: 2; } .tl-today-label { fill: #8250df; font-size: 11px; font-weight: 600; }
.tl-release { stroke: #57606a; stroke-dasharray: 5 4; } .tl-end { stroke: #0a3069; stroke-width: 2; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: .85rem; color: var(--muted); margin: 6px 2px; }
pre.mail { white-space: pre-wrap; background: var(--soft); padding: 12px; border-radius: 6px; border: 1px solid var(--line); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
#timeline-table caption { text-align: left; color: var(--muted); padding: 4px 0; } tr.flagged td { background: #fff8f7; }
.print-only { display: none; }
/* Print: the review's record (summary, timeline and its table, evaluations, notices, audit trail); no navigation, forms or actions. */
@media print {
  header.top, .skip, nav, form, .no-print, .legend, .flash, button { display: none !important; }
  .print-only { display: block; }
  body { font-size: 10pt; color: #000; }
  main { padding: 0; max-width: none; }
  a { color: #000; text-decoration: none; }
  h2 { break-after: avoid; margin-top: 16px; }
  table { font-size: 9pt; } thead { display: table-header-group; } tr { break-inside: avoid; }
  th { background: #fff; border-bottom: 2px solid #000; }
  .timeline { border: none; padding: 0; overflow: visible; break-inside: avoid; } .timeline svg { min-width: 0; }
  .badge { border: 1px solid #000; background: #fff !important; color: #000 !important; }
}
`;

/** Fills the login form's hidden zone field with the browser's zone (dates then show in the viewer's zone). */
export const SCRIPT = "document.querySelectorAll('input[data-browser-zone]').forEach(function(i){try{i.value=Intl.DateTimeFormat().resolvedOptions().timeZone||''}catch(e){}});";

const hash = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

export const CSP = [
  "default-src 'none'", `style-src ${hash(STYLE)}`, `script-src ${hash(SCRIPT)}`, "img-src 'self' data:", "form-action 'self'",
  "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');
