/**
 * The program office's pages (PM and director): the portfolio, reviewer workload and program metrics. Pure
 * functions of the read model's answers (client/read-model/) and the viewer; routes.ts fetches and authorises.
 */
import type { Portfolio, DueItem } from '../read-model/portfolio';
import type { ProgramMetrics } from '../read-model/metrics';
import { OUTCOMES } from '../read-model/metrics';
import type { Workload } from '../read-model/workload';
import type { OfficeFilter } from '../api/service';
import { PHASES } from '../review-client';
import { chartFigure } from './charts-svg';
import type { BarChart } from './charts-svg';
import { asOfNote, html, raw, when } from './html';
import type { Html } from './html';
import { layout } from './pages';
import type { PageCtx } from './pages';

const KIND_NAMES: Record<DueItem['kind'], string> = {
  'access-deadline': 'access deadline', 'evaluation-due': 'evaluation due', 'window-end': 'window ends', 'disposal-due': 'disposal confirmation due',
};

const reviewLink = (id: string): Html => html`<a href="/reviews/${encodeURIComponent(id)}">${id}</a>`;

function what(d: DueItem): string {
  const extra = d.track ? ` — ${d.track} (${d.reviewerId})` : d.party ? ` — ${d.party}` : '';
  return `${KIND_NAMES[d.kind]}${extra}`;
}

function filterForm(action: string, f: OfficeFilter, label: string): Html {
  return html`<form method="get" action="${action}" class="card" aria-label="${label}"><div class="actions">
<div><label for="o-lab">Lab <span class="hint">(id, or exact name)</span></label><input id="o-lab" type="text" name="lab" value="${f.lab ?? ''}"></div>
<div><label for="o-reviewer">Reviewer <span class="hint">(id)</span></label><input id="o-reviewer" type="text" name="reviewer" value="${f.reviewer ?? ''}"></div>
<div><label for="o-phase">Phase</label><select id="o-phase" name="phase"><option value="">any</option>${PHASES.map((ph) => html`<option value="${ph}" ${f.phase === ph ? raw('selected') : ''}>${ph}</option>`)}</select></div>
</div><button type="submit">Filter</button> <a href="${action}">Clear</a></form>`;
}

/** Items a due table shows at most (the earliest); the JSON has them all. */
const DUE_ROWS_MAX = 100;

function dueTable(id: string, caption: string, items: DueItem[], zone: string, empty: string): Html {
  if (items.length === 0) return html`<p id="${id}">${empty}</p>`;
  return html`<table id="${id}"><caption>${caption}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Review</th><th scope="col">What</th><th scope="col">State</th></tr></thead>
<tbody>${items.slice(0, DUE_ROWS_MAX).map((d) => html`<tr><td>${when(d.at, zone)}</td><td>${reviewLink(d.reviewId)}</td><td>${what(d)}</td><td>${d.overdue ? html`<span class="badge overdue">overdue</span>` : 'due'}</td></tr>`)}</tbody></table>
${items.length > DUE_ROWS_MAX ? html`<p>The first ${DUE_ROWS_MAX} of ${items.length} items; every one is in the <a href="/api/portfolio">JSON</a> (paged: <code>?offset=</code>), or narrow the filter.</p>` : ''}`;
}

/** Rows of the portfolio page's review table per page (the JSON has them all). */
export const PORTFOLIO_PAGE_ROWS = 100;

export function portfolioPage(ctx: PageCtx, pf: Portfolio, f: OfficeFilter, pageNo = 1): string {
  const z = ctx.zone;
  const pages = Math.max(1, Math.ceil(pf.reviews.length / PORTFOLIO_PAGE_ROWS));
  const current = Math.min(pageNo, pages);
  const shown = pf.reviews.slice((current - 1) * PORTFOLIO_PAGE_ROWS, current * PORTFOLIO_PAGE_ROWS);
  const link = (n: number): string => `/portfolio?${new URLSearchParams({ ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)), page: String(n) }).toString()}`;
  const nav = pages === 1 ? '' : html`<nav aria-label="Review table pages"><p>Reviews ${(current - 1) * PORTFOLIO_PAGE_ROWS + 1}–${(current - 1) * PORTFOLIO_PAGE_ROWS + shown.length} of ${pf.reviews.length}.
${current > 1 ? html`<a href="${link(current - 1)}" rel="prev">Previous ${PORTFOLIO_PAGE_ROWS}</a>` : ''} ${current < pages ? html`<a href="${link(current + 1)}" rel="next">Next ${PORTFOLIO_PAGE_ROWS}</a>` : ''}</p></nav>`;
  const body = html`<h1>Portfolio</h1>
${filterForm('/portfolio', f, 'Filter the portfolio')}
<p class="muted">Open reviews, overdue and critical first. Weeks run Monday to Sunday in ${z}. <a href="/api/portfolio">JSON</a></p>
${pf.asOf ? asOfNote(pf.asOf, z) : ''}
<section aria-labelledby="h-phases"><h2 id="h-phases">By phase</h2>
<table id="by-phase"><caption>Open reviews by phase</caption><thead><tr><th scope="col">Phase</th><th scope="col">Reviews</th></tr></thead>
<tbody>${pf.byPhase.map((b) => html`<tr><th scope="row">${b.phase}</th><td class="num">${b.count}</td></tr>`)}</tbody></table></section>
<section aria-labelledby="h-overdue"><h2 id="h-overdue">Overdue (${pf.overdue.length})</h2>${dueTable('overdue', 'Overdue items, oldest first', pf.overdue, z, 'Nothing is overdue.')}</section>
<section aria-labelledby="h-this-week"><h2 id="h-this-week">Due this week (${when(pf.thisWeek.from, z).slice(0, 10)} to ${when(pf.nextWeek.from, z).slice(0, 10)})</h2>${dueTable('due-this-week', 'Due this week', pf.dueThisWeek, z, 'Nothing else falls due this week.')}</section>
<section aria-labelledby="h-next-week"><h2 id="h-next-week">Due next week</h2>${dueTable('due-next-week', 'Due next week', pf.dueNextWeek, z, 'Nothing falls due next week.')}</section>
<section aria-labelledby="h-reviews"><h2 id="h-reviews">Reviews (${pf.reviews.length})</h2>
${pf.reviews.length === 0 ? html`<p>No open reviews${f.lab || f.reviewer || f.phase ? ' match the filter' : ''}.</p>` : html`<table id="portfolio-reviews"><caption>Open reviews, overdue and critical first, then by next deadline</caption>
<thead><tr><th scope="col">Review</th><th scope="col">Lab</th><th scope="col">Model</th><th scope="col">Phase</th><th scope="col">Next deadline</th><th scope="col">Reviewers</th><th scope="col">Flags</th></tr></thead>
<tbody>${shown.map((r) => html`<tr data-review="${r.reviewId}"><td>${reviewLink(r.reviewId)}</td><td>${r.lab}</td><td>${r.model}</td><td>${r.phase}</td>
<td>${r.nextDeadline ? `${what(r.nextDeadline)}, ${when(r.nextDeadline.at, z)}` : '—'}</td><td>${r.reviewers.join(', ') || '—'}</td>
<td>${r.overdue ? html`<span class="badge overdue">${r.overdue} overdue</span> ` : ''}${r.critical ? html`<span class="badge critical">critical finding</span>` : ''}</td></tr>`)}</tbody></table>${nav}`}</section>`;
  return layout(ctx, 'Portfolio', body);
}

export function workloadPage(ctx: PageCtx, w: Workload, f: OfficeFilter): string {
  const z = ctx.zone;
  const body = html`<h1>Reviewer workload</h1>
${filterForm('/workload', f, 'Filter the workload')}
<p class="muted">Open assignments (evaluations not yet submitted in open reviews). A reviewer with ${w.maxOpen} or more is at capacity: assigning them another warns (REVIEWER_MAX_OPEN). <a href="/api/workload">JSON</a></p>
${w.asOf ? asOfNote(w.asOf, z) : ''}
${w.reviewers.length === 0 ? html`<p>No open assignments.</p>` : html`<table id="workload"><caption>Open assignments per reviewer, most overdue first</caption>
<thead><tr><th scope="col">Reviewer</th><th scope="col">Open</th><th scope="col">Overdue</th><th scope="col">Due this week</th><th scope="col">Load</th><th scope="col">Assignments</th></tr></thead>
<tbody>${w.reviewers.map((r) => html`<tr data-reviewer="${r.reviewerId}"><th scope="row">${r.name} <span class="mono">(${r.reviewerId})</span></th><td class="num">${r.open}</td><td class="num">${r.overdue}</td><td class="num">${r.dueThisWeek}</td>
<td>${r.atCapacity ? html`<span class="badge overdue">at capacity</span>` : 'within limit'}</td>
<td><ul>${r.assignments.map((a) => html`<li>${reviewLink(a.reviewId)} ${a.track}: ${a.dueAt ? `${a.overdue ? 'overdue since' : 'due'} ${when(a.dueAt, z)}` : 'no due date before access'}</li>`)}</ul></td></tr>`)}</tbody></table>`}`;
  return layout(ctx, 'Reviewer workload', body);
}

const OUTCOME_FILLS: Record<string, string> = { completed: '#1a7f37', expired: '#bc4c00', withdrawn: '#8250df', lapsed: '#6e7781', cancelled: '#0969da' };

/** The five charts of the metrics page, from the figures (also used by tests). */
export function metricsCharts(m: ProgramMetrics): BarChart[] {
  const months = m.months;
  return [
    {
      id: 'chart-outcomes', title: 'Reviews closed per month, by outcome', stacked: true, categories: months,
      description: 'Stacked bars: reviews closed in each month, split by outcome.',
      series: OUTCOMES.map((o) => ({ name: o, fill: OUTCOME_FILLS[o], values: m.closedByOutcome.map((r) => r[o]) })),
    },
    {
      id: 'chart-evaluations', title: 'Evaluations on time, late and not completed', stacked: true, categories: months,
      description: 'Stacked bars: evaluations submitted on time and late (month of submission), and not completed (month of close).',
      series: [
        { name: 'on time', fill: '#1a7f37', values: m.evaluations.map((r) => r.onTime) },
        { name: 'late', fill: '#bc4c00', values: m.evaluations.map((r) => r.late) },
        { name: 'not completed', fill: '#6e7781', values: m.evaluations.map((r) => r.notCompleted) },
      ],
    },
    {
      id: 'chart-access', title: 'Days from intake to access (reviews granted access that month)', categories: months, unit: 'days',
      description: 'Grouped bars: median and longest wait from intake to access for reviews whose access was granted in each month.',
      series: [
        { name: 'median', fill: '#0969da', values: m.intakeToAccess.map((r) => r.medianDays) },
        { name: 'longest', fill: '#9a6700', values: m.intakeToAccess.map((r) => r.maxDays) },
      ],
    },
    {
      id: 'chart-critical', title: 'Critical findings per month', categories: months,
      description: 'Bars: evaluations submitted with severity critical in each month.',
      series: [{ name: 'critical findings', fill: '#b3261e', values: m.criticalFindings.map((r) => r.count) }],
    },
    {
      id: 'chart-pauses', title: 'Clock pauses per month', categories: months,
      description: 'Grouped bars: pauses begun in each month and the days they lasted.',
      series: [
        { name: 'pauses', fill: '#9a6700', values: m.pauses.map((r) => r.pauses) },
        { name: 'days paused', fill: '#0550ae', values: m.pauses.map((r) => r.pausedDays) },
      ],
    },
  ];
}

export function metricsPage(ctx: PageCtx, m: ProgramMetrics, f: OfficeFilter, query: string): string {
  const body = html`<h1>Program metrics</h1>
${filterForm('/metrics', f, 'Filter the metrics')}
<p class="muted">${m.reviews} reviews; months in the program office's zone (${m.timeZone}). <a href="/metrics.csv${query}" download>Download CSV</a> · <a href="/api/metrics${query}">JSON</a></p>
${m.asOf ? asOfNote(m.asOf, ctx.zone) : ''}
${metricsCharts(m).map((c) => html`<section aria-labelledby="${c.id}-caption">${chartFigure(c)}</section>`)}`;
  return layout(ctx, 'Program metrics', body);
}
