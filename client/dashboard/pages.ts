/** The dashboard's pages. Pure functions of the data and the viewer; routes.ts fetches and authorises. */
import { DOCUMENTATION_ITEMS, itemLabel } from '../../workflows/access-package';
import type { PackageView } from '../../workflows/access-package';
import { SEVERITIES } from '../../workflows/types';
import type { ReviewStatus } from '../../workflows/types';
import type { ValidationIssue } from '../../workflows/validation';
import type { StatusView } from '../api/access';
import { UPDATE_ROLES } from '../api/access';
import type { Principal } from '../api/auth';
import type { ApiError } from '../api/http-errors';
import type { ReviewRow, RowFilter } from '../api/service';
import { deadlineOf } from '../api/service';
import type { Plan } from '../plan';
import { describeDelivery } from '../notice-state';
import { PHASES } from '../review-client';
import type { UpdateName } from '../review-client';
import type { FormFields } from './forms';
import { formFieldOf } from './forms';
import { asOfNote, CSP, html, raw, SCRIPT, STYLE, when, whenWords } from './html';
import type { Html } from './html';
import type { OutboxEntry, OutboxMessage } from './outbox';
import { timelineSvg, timelineTable } from './timeline-svg';
import { evidenceSection } from './evidence-section';
import type { EvidenceSectionState } from './evidence-section';

export { CSP };

export interface PageCtx {
  principal: Principal | null;
  zone: string;
  csrf: string;
  outbox: boolean;
}

const ROLE_NAMES: Record<string, string> = { pm: 'Program manager', director: 'Director', reviewer: 'Reviewer', lab: 'Lab' };

function who(p: Principal): string {
  const scope = p.role === 'reviewer' ? ` (${p.reviewerId})` : p.role === 'lab' ? ` (${p.labId ?? p.lab})` : '';
  return `${p.name} — ${ROLE_NAMES[p.role]}${scope}`;
}

export function layout(ctx: PageCtx, title: string, body: Html, head: Html | string = ''): string {
  const p = ctx.principal;
  const nav = p
    ? html`<nav aria-label="Main"><a href="/">Reviews</a>${p.role === 'pm' ? html`<a href="/reviews/new">New review</a>` : ''}${p.role === 'pm' || p.role === 'director' ? html`<a href="/portfolio">Portfolio</a><a href="/workload">Workload</a><a href="/metrics">Metrics</a>` : ''}${ctx.outbox && (p.role === 'pm' || p.role === 'director') ? html`<a href="/outbox">Outbox</a>` : ''}<a href="/calendar-feed">Calendar feed</a><a href="/openapi.json">API</a></nav>
<div class="who"><span>Signed in as <strong>${who(p)}</strong></span>
<form method="post" action="/zone" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrf}"><label class="sr-only" for="zone-input">Time zone for dates</label><input id="zone-input" type="text" name="tz" value="${ctx.zone}" size="18" aria-label="Time zone for dates"> <button class="secondary" type="submit">Set zone</button></form>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button class="secondary" type="submit">Sign out</button></form></div>`
    : '';
  return `<!doctype html>
${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · frontier-review</title><style>${raw(STYLE)}</style>${head}</head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">frontier-review</span>${nav}</header>
<main id="main" tabindex="-1">${body}</main>
<script>${raw(SCRIPT)}</script></body></html>`}`;
}

/** How people may sign in: by pasting a token, and/or at an identity provider (its button's name). */
export interface LoginOptions {
  tokens: boolean;
  sso?: string;
}

const NOBODY: PageCtx = { principal: null, zone: 'UTC', csrf: '', outbox: false };

export function loginPage(o: LoginOptions = { tokens: true }, error?: string): string {
  const sso = o.sso ? html`<p><a class="button" href="/login/oidc">Sign in with ${o.sso}</a></p>` : '';
  const tokenForm = o.tokens ? html`<p>${o.sso ? 'Or paste' : 'Paste'} the access token you were given. Program managers, directors, reviewers and labs each have their own.</p>
<form method="post" action="/login" class="card">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="off" required ${error ? raw('aria-invalid="true"') : ''}>
<input type="hidden" name="tz" data-browser-zone value="">
<button type="submit">Sign in</button>
</form>` : '';
  return layout(NOBODY, 'Sign in', html`<h1>Sign in</h1>
${error ? html`<div class="flash err" role="alert">${error}</div>` : ''}
${sso}${tokenForm}`);
}

/** Single sign-on refused or failed: why, and no session. */
export function ssoRefusedPage(message: string): string {
  return layout(NOBODY, 'Sign-in refused', html`<h1>Sign-in refused</h1>
<div class="flash err" role="alert" id="sso-refused">${message}</div>
<p>You are not signed in. <a href="/login">Back to sign-in</a></p>`);
}

/**
 * After single sign-on: a page of this dashboard that goes on to the reviews by itself (meta refresh). Answering
 * the callback with a redirect would end the provider's cross-site navigation on /, without the new session's
 * SameSite=Strict cookie.
 */
export function ssoDonePage(name: string): string {
  return layout(NOBODY, 'Signed in', html`<h1>Signed in</h1><p role="status">Signed in as <strong>${name}</strong>. <a href="/" id="continue">Continue to the reviews</a></p>`,
    html`<meta http-equiv="refresh" content="0;url=/">`);
}

function phaseBadge(phase: string | null, outcome?: string | null): Html {
  if (!phase) return html`<span class="badge closed">unknown</span>`;
  return html`<span class="badge ${phase === 'closed' ? 'closed' : 'phase'}">${phase}</span>${outcome ? html` <span class="muted">(${outcome})</span>` : ''}`;
}

const DEADLINE_NAMES = { 'access-deadline': 'access deadline', 'window-end': 'window end', 'disposal-due': 'disposal due' } as const;

function daysLeft(n: number | null): string {
  if (n === null) return '—';
  if (n < 0) return `${-n} d past`;
  return n === 0 ? 'today' : `${n} d`;
}

export function listPage(ctx: PageCtx, rows: ReviewRow[], f: RowFilter, asOf?: string): string {
  const p = ctx.principal as Principal;
  const sort = f.sort ?? 'remaining';
  const q = (extra: Record<string, string>): string => {
    const params = new URLSearchParams();
    if (f.phase) params.set('phase', f.phase);
    if (f.lab) params.set('lab', f.lab);
    if (f.dueWithinDays !== undefined) params.set('dueWithinDays', String(f.dueWithinDays));
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return `/?${params.toString()}`;
  };
  const body = html`<h1>Reviews</h1>
<form method="get" action="/" class="card" aria-label="Filter reviews">
<div class="actions">
<div><label for="f-phase">Phase</label><select id="f-phase" name="phase"><option value="">any</option>${PHASES.map((ph) => html`<option value="${ph}" ${f.phase === ph ? raw('selected') : ''}>${ph}</option>`)}</select></div>
${p.role === 'lab' ? '' : html`<div><label for="f-lab">Lab <span class="hint">(id, or exact name)</span></label><input id="f-lab" type="text" name="lab" value="${f.lab ?? ''}"></div>`}
<div><label for="f-due">Window ends within <span class="hint">(days)</span></label><input id="f-due" type="number" min="0" name="dueWithinDays" value="${f.dueWithinDays ?? ''}"></div>
</div><input type="hidden" name="sort" value="${sort}"><button type="submit">Filter</button> <a href="/">Clear</a>
</form>
${asOf ? asOfNote(asOf, ctx.zone) : ''}
<p class="muted">Dates in ${ctx.zone}. Sort: ${sort === 'remaining' ? html`<strong>least time remaining</strong> · <a href="${q({ sort: 'newest' })}">newest</a>` : html`<a href="${q({ sort: 'remaining' })}">least time remaining</a> · <strong>newest</strong>`}</p>
${rows.length === 0 ? html`<p>No reviews${f.phase || f.lab || f.dueWithinDays !== undefined ? ' match the filter' : ' yet'}.</p>` : html`<table>
<caption class="sr-only">Reviews, ${sort === 'remaining' ? 'least time remaining first' : 'newest first'}</caption>
<thead><tr><th scope="col">Review</th><th scope="col">Lab</th><th scope="col">Model</th><th scope="col">Phase</th><th scope="col">Window ends</th>
<th scope="col" ${sort === 'remaining' ? raw('aria-sort="ascending"') : ''}><a href="${q({ sort: 'remaining' })}">Days remaining</a></th><th scope="col">Next deadline</th><th scope="col">Flags</th></tr></thead>
<tbody>${rows.map((r) => html`<tr data-review="${r.reviewId}">
<td><a href="/reviews/${encodeURIComponent(r.reviewId)}">${r.reviewId}</a></td><td>${r.lab ?? '—'}</td><td>${r.model ? `${r.model.name} ${r.model.version}` : '—'}</td>
<td>${phaseBadge(r.phase, r.outcome)}</td><td>${when(r.windowEndsAt, ctx.zone)}</td><td class="num">${daysLeft(r.daysRemaining)}</td>
<td>${r.deadline ? `${DEADLINE_NAMES[r.deadline.kind]} ${when(r.deadline.at, ctx.zone)}` : '—'}</td>
<td>${r.overdueEvaluations ? html`<span class="badge overdue">${r.overdueEvaluations} overdue</span> ` : ''}${r.criticalFindings ? html`<span class="badge critical">critical finding</span>` : ''}${r.error ? html`<span class="badge overdue" title="${r.error}">status unavailable</span>` : ''}</td>
</tr>`)}</tbody></table>`}`;
  return layout(ctx, 'Reviews', body);
}

function errorBox(e: ApiError | null | undefined): Html {
  if (!e) return html``;
  return html`<div class="flash err" role="alert" tabindex="-1" id="error-summary"><strong>${e.status === 403 ? 'Not allowed' : e.status === 409 ? 'Not accepted' : e.status === 413 ? 'Too large' : e.status === 429 ? 'Please wait' : e.status === 400 ? 'Please correct the input' : 'Error'}:</strong> ${e.issues.length ? '' : e.message}
${e.issues.length ? html`<ul>${e.issues.map((i) => html`<li><span class="mono">${i.path || '(form)'}</span>: ${i.message}</li>`)}</ul>` : ''}</div>`;
}

interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'number' | 'datetime-local' | 'textarea' | 'select' | 'hidden';
  value?: string;
  hint?: string;
  required?: boolean;
  options?: string[];
}

function input(prefix: string, fs: FieldSpec, values: FormFields, issues: ValidationIssue[]): Html {
  const id = `${prefix}-${fs.name}`;
  const value = values[fs.name] ?? fs.value ?? '';
  if (fs.type === 'hidden') return html`<input type="hidden" name="${fs.name}" value="${value}">`;
  const errs = issues.filter((i) => i.path === fs.name || i.path.startsWith(`${fs.name}.`) || i.path.startsWith(`${fs.name}[`) || (fs.name === 'reviewerId' && i.path.startsWith('reviewer.')));
  const invalid = errs.length ? raw(` aria-invalid="true" aria-describedby="${id}-err"`) : raw('');
  const req = fs.required ? raw(' required') : raw('');
  const control = fs.type === 'textarea'
    ? html`<textarea id="${id}" name="${fs.name}"${req}${invalid}>${value}</textarea>`
    : fs.type === 'select'
      ? html`<select id="${id}" name="${fs.name}"${req}${invalid}>${(fs.options ?? []).map((o) => html`<option value="${o}" ${o === value ? raw('selected') : ''}>${o}</option>`)}</select>`
      : html`<input id="${id}" type="${fs.type ?? 'text'}" name="${fs.name}" value="${value}"${req}${invalid}${fs.type === 'number' ? raw(' min="1"') : ''}>`;
  return html`<label for="${id}">${fs.label}${fs.hint ? html` <span class="hint">${fs.hint}</span>` : ''}</label>${control}${errs.length ? html`<p class="field-error" id="${id}-err">${errs.map((e) => e.message).join('; ')}</p>` : ''}`;
}

interface ActionForm {
  action: UpdateName;
  key: string;
  title: string;
  fields: FieldSpec[];
  button: string;
  danger?: boolean;
}

/** The forms the viewer may use now, by role and phase (the workflow re-checks everything). */
export function actionForms(p: Principal, s: ReviewStatus): ActionForm[] {
  const open = s.phase !== 'disposal' && s.phase !== 'closed';
  const running = s.phase === 'in-review' || s.phase === 'paused';
  const can = (a: UpdateName): boolean => UPDATE_ROLES[a].includes(p.role);
  const forms: ActionForm[] = [];
  const by: FieldSpec = { name: 'by', label: 'Recorded as', value: p.name, required: true };
  if (can('submitEvaluation') && running) {
    for (const e of s.evaluations.filter((x) => x.status === 'pending' || x.status === 'overdue')) {
      if (p.role === 'reviewer' && e.reviewerId !== p.reviewerId) continue;
      forms.push({
        action: 'submitEvaluation', key: `submit-${e.track}`, title: `Submit evaluation: ${e.track}`, button: 'Submit evaluation',
        fields: [
          { name: 'track', label: 'Track', type: 'hidden', value: e.track },
          { name: 'reviewerId', label: 'Reviewer', type: 'hidden', value: e.reviewerId },
          { name: 'severity', label: 'Highest severity found', type: 'select', options: [...SEVERITIES], value: 'none', required: true },
          { name: 'summary', label: 'Summary of findings', type: 'textarea', hint: '(internal: never shown to the lab)', required: true },
          { name: 'harnessName', label: 'Harness', hint: '(optional, for the reproducibility record: e.g. inspect_ai)' },
          { name: 'harnessVersion', label: 'Harness version' }, { name: 'harnessCommit', label: 'Commit of the evaluation code' },
          { name: 'task', label: 'Task' }, { name: 'configDigest', label: 'Configuration digest', hint: '(sha256:…)' },
          { name: 'seeds', label: 'Seeds', hint: '(comma-separated)' }, { name: 'runIds', label: 'Run ids', hint: '(comma-separated)' },
          { name: 'modelIdentifier', label: 'Model evaluated', value: s.package?.modelIdentifier ?? '' },
          { name: 'modelDigest', label: 'Digest of the model evaluated', hint: '(sha256:…; compared with the package)', value: s.package?.artifactDigest ?? '' },
        ],
      });
    }
  }
  if (can('grantAccess') && s.phase === 'awaiting-access') {
    forms.push({ action: 'grantAccess', key: 'grant', title: 'Grant access (starts the clock now)', button: 'Grant access', fields: [by] });
  }
  if (can('assignReviewer') && open) {
    forms.push({
      action: 'assignReviewer', key: 'assign', title: 'Assign or reassign a reviewer', button: 'Assign',
      fields: [
        { name: 'track', label: 'Track', hint: '(existing track to reassign, or a new one)', required: true },
        { name: 'reviewerId', label: 'Reviewer id', required: true }, { name: 'reviewerName', label: 'Reviewer name', required: true },
        { name: 'reviewerEmail', label: 'Reviewer e-mail', type: 'email', required: true },
        { name: 'dueDay', label: 'Due day', type: 'number', hint: `(days after the clock start; default ${s.policy.dueDay})` },
      ],
    });
  }
  if (can('completePackage') && open) {
    forms.push({
      action: 'completePackage', key: 'package', title: s.package ? 'Complete the access package' : 'Give the access package', button: 'Save package',
      fields: [by, {
        name: 'package', label: 'Parts to complete (JSON)', type: 'textarea', required: true,
        hint: s.package ? `(still missing: ${s.package.missing.map(itemLabel).join(', ') || 'nothing'}; e.g. {"documentation":{"modelCard":{"present":true,"reference":"https://…"}}})` : '(e.g. {"access":"weights-transfer","modelIdentifier":"acme/atlas-7","artifactDigest":"sha256:…"})',
      }],
    });
  }
  if (can('pauseClock') && s.phase === 'in-review') forms.push({ action: 'pauseClock', key: 'pause', title: 'Pause the clock (lab-side outage)', button: 'Pause', fields: [by, { name: 'reason', label: 'Reason' }] });
  if (can('resumeClock') && s.phase === 'paused') forms.push({ action: 'resumeClock', key: 'resume', title: 'Resume the clock', button: 'Resume', fields: [by, { name: 'reason', label: 'Reason' }] });
  if (can('setReleaseDate') && open) {
    forms.push({
      action: 'setReleaseDate', key: 'release', title: 'Change the planned release date', button: 'Set release date',
      fields: [{ name: 'plannedReleaseAt', label: 'Planned release', type: 'datetime-local', hint: `(in the lab's zone, ${s.lab.timeZone})`, required: true }],
    });
  }
  if (can('closeReview') && running) forms.push({ action: 'closeReview', key: 'close', title: 'Close the review early', button: 'Close review', danger: true, fields: [by, { name: 'reason', label: 'Reason' }] });
  if (can('cancelReview') && s.phase === 'awaiting-access') forms.push({ action: 'cancelReview', key: 'cancel', title: 'Cancel the review', button: 'Cancel review', danger: true, fields: [by, { name: 'reason', label: 'Reason', required: true }] });
  if (can('withdraw') && open) forms.push({ action: 'withdraw', key: 'withdraw', title: 'Withdraw the model from review', button: 'Withdraw', danger: true, fields: [by, { name: 'reason', label: 'Reason' }] });
  if (can('confirmDisposal') && s.phase === 'disposal') {
    const pending = s.disposal.filter((d) => d.confirmedAt === null).map((d) => d.party)
      .filter((party) => p.role === 'pm' || (p.role === 'lab' && party === 'lab') || (p.role === 'reviewer' && party === p.reviewerId));
    if (pending.length) {
      forms.push({
        action: 'confirmDisposal', key: 'disposal', title: 'Confirm access revocation and disposal', button: 'Confirm disposal',
        fields: [pending.length === 1 ? { name: 'party', label: 'Party', type: 'hidden', value: pending[0] } : { name: 'party', label: 'Party', type: 'select', options: pending },
          by, { name: 'note', label: 'Note' }],
      });
    }
  }
  return forms;
}

const DONE: Record<UpdateName, string> = {
  grantAccess: 'Access granted: the clock has started.', assignReviewer: 'Reviewer assigned.', submitEvaluation: 'Evaluation submitted.',
  setReleaseDate: 'Planned release date set.', pauseClock: 'Clock paused.', resumeClock: 'Clock resumed.', withdraw: 'Review withdrawn.',
  closeReview: 'Review closed.', cancelReview: 'Review cancelled.', confirmDisposal: 'Disposal confirmed.', completePackage: 'Access package updated.',
  attachEvidence: 'Evidence uploaded and attached.',
};

export interface ReviewPageState {
  started?: boolean;
  done?: UpdateName;
  error?: ApiError;
  /** The form that failed, and what was typed, to show it again. */
  failed?: { key: string; values: FormFields };
  /** Warnings of an accepted change (a reviewer already at the load limit). */
  warnings?: string[];
  /** The evidence section: the store's bounds (null: no upload form) and a failed upload's values. */
  evidence?: EvidenceSectionState;
}

export function reviewPage(ctx: PageCtx, s: StatusView, now: number, st: ReviewPageState = {}): string {
  const p = ctx.principal as Principal;
  const z = ctx.zone;
  const deadline = deadlineOf(s);
  const forms = actionForms(p, s);
  const id = encodeURIComponent(s.reviewId);
  const seeSummaries = p.role === 'pm' || p.role === 'director' || p.role === 'reviewer';
  const body = html`<h1>Review ${s.reviewId}: ${s.model.name} ${s.model.version} <span class="muted">from ${s.lab.name}</span></h1>
<p class="print-only" id="print-meta">The review's record as ${who(p)} may see it, printed ${whenWords(new Date(now).toISOString(), z)}.</p>
${st.started ? html`<div class="flash ok" role="status">Review started: the lab and the program manager get an acknowledgement.</div>` : ''}
${st.done ? html`<div class="flash ok" role="status">${DONE[st.done]}</div>` : ''}
${(st.warnings ?? []).map((w) => html`<div class="flash err" role="alert"><strong>Warning:</strong> ${w} <a href="/workload">Reviewer workload</a></div>`)}
${errorBox(st.error)}
<section aria-labelledby="h-facts"><h2 id="h-facts">Summary</h2><dl class="facts">
<dt>Phase</dt><dd id="phase">${phaseBadge(s.phase, s.outcome)}</dd>
<dt>Clock</dt><dd>${s.clock.startedAt ? html`started ${whenWords(s.clock.startedAt, z)}${s.clock.paused ? ' — PAUSED' : ''}` : html`not started; access deadline ${whenWords(s.clock.accessDeadlineAt, z)}`}</dd>
<dt>Window ends</dt><dd id="window-end">${whenWords(s.clock.windowEndsAt, z)}</dd>
<dt>Next deadline</dt><dd>${deadline ? html`${DEADLINE_NAMES[deadline.kind]} ${whenWords(deadline.at, z)}` : '—'}</dd>
<dt>Planned release</dt><dd>${whenWords(s.plannedReleaseAt, z)}</dd>
${s.closedAt ? html`<dt>Closed</dt><dd>${whenWords(s.closedAt, z)}</dd>` : ''}
${s.disposalDueAt ? html`<dt>Disposal due</dt><dd>${whenWords(s.disposalDueAt, z)}</dd>` : ''}
<dt>Time zones</dt><dd>dates shown in ${z}; review zone ${s.timeZone}; lab zone ${s.lab.timeZone}</dd>
<dt>Program manager</dt><dd>${s.programManager.name}</dd>
${s.receipt ? html`<dt>Closure receipt</dt><dd><a href="/reviews/${id}/receipt" id="receipt-link">signed receipt (in-toto/DSSE)</a> <span class="muted">check it with <code>review verify</code></span></dd>` : ''}
</dl></section>
${s.package ? packageSection(s.package) : ''}
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
<div class="timeline" role="region" aria-label="Timeline picture" tabindex="0">${timelineSvg(s, now, z)}</div>
<div class="legend" aria-hidden="true"><span>▭ window (hatched: paused; dashed: awaiting access)</span><span>◇ due date (filled: submitted; "overdue" beside it when late)</span><span>● submission / notice (× failed)</span><span>▲ escalation</span><span>"critical": critical finding</span><span>┆ planned release</span><span>│ today</span></div>
${timelineTable(s, now, z)}
</section>
<section aria-labelledby="h-evals"><h2 id="h-evals">Evaluations</h2>
${s.evaluations.length === 0 ? html`<p>No tracks assigned.</p>` : html`<table id="evaluations"><thead><tr><th scope="col">Track</th><th scope="col">Reviewer</th><th scope="col">Due</th><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Submitted</th>${seeSummaries ? html`<th scope="col">Summary</th>` : ''}</tr></thead>
<tbody>${s.evaluations.map((e) => html`<tr data-track="${e.track}"><td>${e.track}</td><td>${e.reviewerName} <span class="muted">(${e.reviewerId})</span></td><td>${when(e.dueAt, z)}</td>
<td class="status">${e.status === 'overdue' || e.status === 'not-completed' ? html`<span class="badge overdue">${e.status}</span>` : e.status === 'submitted' ? html`<span class="badge ok">submitted</span>` : e.status}</td>
<td>${e.severity === 'critical' ? html`<span class="badge critical">critical</span>` : e.severity ?? '—'}</td><td>${when(e.submittedAt, z)}</td>${seeSummaries ? html`<td>${e.summary ?? (e.submittedAt ? html`<span class="muted">(not shown)</span>` : '—')}</td>` : ''}</tr>`)}</tbody></table>`}
${s.evaluations.some((e) => e.record) ? html`<table id="evaluation-records"><caption>Reproducibility records</caption><thead><tr><th scope="col">Track</th><th scope="col">Harness</th><th scope="col">Task</th><th scope="col">Model evaluated</th><th scope="col">Config digest</th><th scope="col">Seeds / runs</th></tr></thead>
<tbody>${s.evaluations.filter((e) => e.record).map((e) => { const r = e.record as NonNullable<typeof e.record>; return html`<tr><td>${e.track}</td><td>${r.harness.name} ${r.harness.version ?? ''} ${r.harness.commit ? `@${r.harness.commit.slice(0, 12)}` : ''}</td><td>${r.task ?? '—'}</td><td class="mono">${r.model.identifier} ${r.model.digest ?? r.model.apiVersion ?? ''}</td><td class="mono">${r.configDigest ?? '—'}</td><td>${(r.seeds ?? []).join(', ') || '—'} / ${(r.runIds ?? []).join(', ') || '—'}</td></tr>`; })}</tbody></table>` : ''}
${p.role === 'lab' ? html`<p class="muted">Reviewers' internal notes are not shown to labs.</p>` : ''}
</section>
${forms.length ? html`<section aria-labelledby="h-actions" class="no-print"><h2 id="h-actions">Actions</h2><div class="actions">${forms.map((f) => {
    const values = st.failed?.key === f.key ? st.failed.values : {};
    const issues = st.failed?.key === f.key ? st.error?.issues ?? [] : [];
    return html`<form class="card" method="post" action="/reviews/${id}/act/${f.action}" aria-labelledby="${f.key}-h" data-action="${f.action}" novalidate>
<h3 id="${f.key}-h">${f.title}</h3><input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="_form" value="${f.key}">
${f.fields.map((fs) => input(f.key, fs, values, issues))}
<button type="submit" class="${f.danger ? 'danger' : ''}">${f.button}</button></form>`;
  })}</div></section>` : ''}
${evidenceSection(p, s, ctx.csrf, z, st.evidence ?? { bounds: null })}
${s.disposal.length ? html`<section aria-labelledby="h-disposal"><h2 id="h-disposal">Disposal confirmations</h2><table><thead><tr><th scope="col">Party</th><th scope="col">Confirmed</th><th scope="col">By</th></tr></thead>
<tbody>${s.disposal.map((d) => html`<tr><td>${d.party}</td><td>${when(d.confirmedAt, z)}</td><td>${d.by ?? '—'}</td></tr>`)}</tbody></table></section>` : ''}
<section aria-labelledby="h-notices"><h2 id="h-notices">Notices (${s.notices.length})</h2>
${s.notices.length === 0 ? html`<p>None.</p>` : html`<table id="notices"><thead><tr><th scope="col">At</th><th scope="col">Kind</th><th scope="col">To</th><th scope="col">State</th></tr></thead>
<tbody>${s.notices.map((n) => html`<tr><td>${when(n.at, z)}</td><td>${n.kind}${n.track ? html` <span class="muted">[${n.track}]</span>` : ''}</td><td>${n.audience}: ${n.to.join(', ')}</td><td>${describeDelivery(n)}</td></tr>`)}</tbody></table>`}
</section>
<section aria-labelledby="h-audit"><h2 id="h-audit">Audit trail (${s.events.length})</h2>
<table id="audit"><thead><tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Detail</th></tr></thead>
<tbody>${s.events.map((e) => html`<tr><td>${when(e.at, z)}</td><td>${e.type}</td><td>${e.by}</td><td>${e.detail}</td></tr>`)}</tbody></table>
<p class="no-print">Export: <a href="/reviews/${id}/export?format=json">JSON</a> · <a href="/reviews/${id}/export?format=csv">CSV</a> · <a href="/reviews/${id}/export?format=ics">iCalendar</a></p>
</section>`;
  return layout(ctx, `Review ${s.reviewId}`, body);
}

function packageSection(pk: PackageView): Html {
  const docs = DOCUMENTATION_ITEMS.map((item) => {
    const d = pk.documentation?.[item];
    return html`<li>${itemLabel(item)}: ${d?.present ? (d.reference ?? 'present, no reference') : html`<span class="badge overdue">missing</span>`}</li>`;
  });
  const t = pk.dataHandling ?? {};
  const yesNo = (b: boolean | undefined): string => (b === undefined ? 'not stated' : b ? 'yes' : 'no');
  return html`<section aria-labelledby="h-package" id="package"><h2 id="h-package">Access package ${pk.complete ? html`<span class="badge ok">complete</span>` : html`<span class="badge overdue">${pk.missing.length} missing</span>`}</h2>
<dl class="facts"><dt>Access</dt><dd>${pk.access}</dd><dt>Model</dt><dd class="mono">${pk.modelIdentifier} ${pk.artifactDigest ?? pk.apiVersion ?? ''}</dd>
<dt>Documentation</dt><dd><ul>${docs}</ul></dd>
<dt>Data handling</dt><dd>retention ${t.retentionDays === undefined ? 'not stated' : `${t.retentionDays} days`}; no training on outputs: ${yesNo(t.noTrainingOnOutputs)}; storage: ${t.storageLocation ?? 'not stated'}; cleared personnel only: ${yesNo(t.clearedPersonnelOnly)}</dd>
<dt>Outage contact</dt><dd>${pk.outageContact ? `${pk.outageContact.name} <${pk.outageContact.email}>` : 'not given'}</dd>
${pk.missing.length ? html`<dt>Missing</dt><dd id="package-missing">${pk.missing.map(itemLabel).join(', ')}</dd>` : ''}</dl></section>`;
}

export const NEW_REVIEW_DEFAULTS: FormFields = {
  timeZone: 'America/New_York', labTimeZone: 'America/Los_Angeles', windowDays: '30',
};

export function newReviewPage(ctx: PageCtx, values: FormFields, error?: ApiError, plan?: Plan): string {
  const issues = error?.issues ?? [];
  const byField = (name: string): ValidationIssue[] => issues.filter((i) => formFieldOf(i.path) === name).map((i) => ({ ...i, path: name }));
  const fieldIssues = Object.keys({ ...NEW_REVIEW_DEFAULTS, ...values, reviewId: '', modelName: '', modelVersion: '', labId: '', labName: '', labContacts: '', pmName: '', pmEmail: '', directorName: '', directorEmail: '', evaluations: '', plannedReleaseAt: '', package: '' })
    .flatMap(byField);
  const v = { ...NEW_REVIEW_DEFAULTS, ...values };
  const f = (spec: FieldSpec): Html => input('new', spec, v, fieldIssues);
  const body = html`<h1>Start a review</h1>
<p>Fill in the request. <strong>Preview</strong> shows every date and notice it will produce (assuming access is granted at once and nothing else happens) without starting anything.</p>
${errorBox(error)}
<form method="post" action="/reviews/new" class="card" id="new-review" aria-label="New review request" novalidate>
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<div class="actions">
<div>${f({ name: 'reviewId', label: 'Review id', hint: '(lowercase letters, digits, hyphens)', required: true })}
${f({ name: 'modelName', label: 'Model name', required: true })}${f({ name: 'modelVersion', label: 'Model version', required: true })}
${f({ name: 'timeZone', label: 'Review time zone', hint: '(IANA, e.g. America/New_York)', required: true })}
${f({ name: 'windowDays', label: 'Window (days)', type: 'number', hint: '(at most 30)' })}
${f({ name: 'plannedReleaseAt', label: 'Planned release', type: 'datetime-local', hint: "(optional, lab's zone)" })}</div>
<div>${f({ name: 'labId', label: 'Lab id', hint: "(stable: lab tokens are bound to it)" })}${f({ name: 'labName', label: 'Lab name', required: true })}${f({ name: 'labTimeZone', label: 'Lab time zone', required: true })}
${f({ name: 'labContacts', label: 'Lab contacts', type: 'textarea', hint: '(one per line: Name <email>)', required: true })}
${f({ name: 'pmName', label: 'Program manager name', required: true })}${f({ name: 'pmEmail', label: 'Program manager e-mail', type: 'email', required: true })}</div>
<div>${f({ name: 'directorName', label: 'Director name', required: true })}${f({ name: 'directorEmail', label: 'Director e-mail', type: 'email', required: true })}
${f({ name: 'evaluations', label: 'Evaluation tracks', type: 'textarea', hint: '(one per line: track, reviewer id, reviewer name, email[, due day])' })}
${f({ name: 'package', label: 'Access package (JSON, optional)', type: 'textarea', hint: '(access, modelIdentifier, artifactDigest or apiVersion, documentation, dataHandling, outageContact: see the README; the preview lists what is missing)' })}</div>
</div>
<button type="submit" name="intent" value="preview" class="secondary">Preview dates and notices</button>
<button type="submit" name="intent" value="start">Start review</button>
</form>
${plan ? planSection(plan) : ''}`;
  return layout(ctx, 'New review', body);
}

function planSection(plan: Plan): Html {
  return html`<section aria-labelledby="h-plan" id="plan"><h2 id="h-plan">Preview: ${plan.notices.length} notices</h2>
<p class="muted">If ${plan.scenario}. Review zone ${plan.timeZone}; lab zone ${plan.labTimeZone}.</p>
${plan.package ? html`<p id="plan-package">Access package: ${plan.package.complete ? 'complete' : html`missing ${plan.package.missing.map(itemLabel).join(', ')} (listed in the acknowledgement and the access reminders)`}</p>` : ''}
<table><thead><tr><th scope="col">Deadline</th><th scope="col">Review zone</th><th scope="col">Lab zone</th></tr></thead>
<tbody>${plan.deadlines.map((d) => html`<tr><td>${d.label}</td><td>${when(d.at, plan.timeZone)}</td><td>${when(d.at, plan.labTimeZone)}</td></tr>`)}</tbody></table>
<table><thead><tr><th scope="col">Review zone</th><th scope="col">Recipient's zone</th><th scope="col">Notice</th><th scope="col">To</th><th scope="col">Condition</th></tr></thead>
<tbody>${plan.notices.map((n) => html`<tr><td>${when(n.at, plan.timeZone)}</td><td>${when(n.at, n.recipientTimeZone)}</td><td>${n.kind}${n.track ? ` [${n.track}]` : ''}</td><td>${n.audience}</td><td>${n.condition ?? ''}</td></tr>`)}</tbody></table>
</section>`;
}

export function outboxPage(ctx: PageCtx, entries: (OutboxEntry & { subject: string; to: string })[]): string {
  return layout(ctx, 'Outbox', html`<h1>Outbox</h1><p>Every notice the local SMTP sink received (<code>npm start</code> keeps them as .eml files), newest first.</p>
${entries.length === 0 ? html`<p>No mail yet.</p>` : html`<table><thead><tr><th scope="col">Received</th><th scope="col">Subject</th><th scope="col">To</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${when(e.receivedAt, ctx.zone)}</td><td><a href="/outbox/${encodeURIComponent(e.file)}">${e.subject}</a></td><td>${e.to}</td></tr>`)}</tbody></table>`}`);
}

export function outboxMessagePage(ctx: PageCtx, m: OutboxMessage): string {
  return layout(ctx, m.subject, html`<p><a href="/outbox">← Outbox</a></p><h1>${m.subject}</h1>
<dl class="facts"><dt>From</dt><dd>${m.from}</dd><dt>To</dt><dd>${m.to}</dd><dt>Date</dt><dd>${when(m.date, ctx.zone)}</dd><dt>Message-ID</dt><dd class="mono">${m.messageId ?? '—'}</dd>
<dt>Attachments</dt><dd>${m.attachments.length ? m.attachments.map((a) => `${a.filename} (${a.contentType}, ${a.size} bytes)`).join('; ') : 'none'}</dd></dl>
<pre class="mail">${m.text}</pre>`);
}

export function errorPage(ctx: PageCtx, e: ApiError): string {
  const title = e.status === 404 ? 'Not found' : e.status === 403 ? 'Not allowed' : e.status === 401 ? 'Please sign in' : 'Something went wrong';
  return layout(ctx, title, html`<h1>${title}</h1><div class="flash err" role="alert">${e.message}</div><p><a href="/">Back to the reviews</a></p>`);
}

/** Signed out here; on to the identity provider to sign out there too (it sends the browser back to /login). */
export function ssoSignOutPage(providerUrl: string): string {
  return layout(NOBODY, 'Signed out', html`<h1>Signed out</h1><p role="status">Signed out of the dashboard. <a href="${providerUrl}" id="provider-logout">Sign out at the identity provider too</a></p>`,
    html`<meta http-equiv="refresh" content="0;url=${providerUrl}">`);
}
