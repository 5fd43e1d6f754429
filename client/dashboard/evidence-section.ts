/**
 * The review page's evidence section: the files the viewer may see (visibility.ts chose them), each with its
 * digest and a download link while the store still holds it, and — for the roles that may upload, while the
 * review is open — the upload form. The form posts multipart to evidence-form.ts; its size bound is stated
 * beside the file field, so nobody learns it only from a refusal.
 */
import { UPDATE_ROLES } from '../api/access';
import type { StatusView } from '../api/access';
import type { Principal } from '../api/auth';
import { formatBytes } from '../api/upload-limit';
import { EVIDENCE_AUDIENCES } from '../../workflows/evidence';
import type { EvidenceAudience } from '../../workflows/evidence';
import type { FormFields } from './forms';
import { html, raw, when } from './html';
import type { Html } from './html';

export interface EvidenceBounds {
  maxBytes: number;
  mediaTypes: readonly string[];
}

const AUDIENCE_WORDS: Record<EvidenceAudience, string> = {
  clearinghouse: 'the clearinghouse only', lab: 'the clearinghouse and the lab', reviewers: 'the clearinghouse and the reviewers', all: 'everyone on the review',
};

/** Which audiences a viewer may choose for its own upload (the workflow's rules: a reviewer's file stays with the clearinghouse). */
export function audiencesFor(p: Principal): EvidenceAudience[] {
  if (p.role === 'reviewer') return ['clearinghouse'];
  if (p.role === 'lab') return ['reviewers', 'clearinghouse'];
  return [...EVIDENCE_AUDIENCES];
}

export function canUpload(p: Principal, s: StatusView): boolean {
  return UPDATE_ROLES.attachEvidence.includes(p.role) && ['awaiting-access', 'in-review', 'paused'].includes(s.phase);
}

function uploadForm(p: Principal, s: StatusView, csrf: string, bounds: EvidenceBounds, values: FormFields, issues: { path: string; message: string }[]): Html {
  const id = encodeURIComponent(s.reviewId);
  const audiences = audiencesFor(p);
  const tracks = s.evaluations.filter((e) => p.role !== 'reviewer' || e.reviewerId === p.reviewerId).map((e) => e.track);
  const fileIssue = issues.filter((i) => ['body', 'name', 'file', 'mediaType', ''].includes(i.path) || i.path.startsWith('evidence'));
  const chosen = values.visibleTo ?? audiences[0];
  return html`<form class="card" method="post" action="/reviews/${id}/evidence" enctype="multipart/form-data" aria-labelledby="evidence-upload-h" id="evidence-upload" novalidate>
<h3 id="evidence-upload-h">Upload evidence</h3>
<input type="hidden" name="_csrf" value="${csrf}">
<label for="evidence-visibleTo">Who may see it</label>
<select id="evidence-visibleTo" name="visibleTo">${audiences.map((a) => html`<option value="${a}" ${a === chosen ? raw('selected') : ''}>${AUDIENCE_WORDS[a]}</option>`)}</select>
${tracks.length ? html`<label for="evidence-track">Track <span class="hint">(optional)</span></label>
<select id="evidence-track" name="track"><option value="">none</option>${tracks.map((t) => html`<option value="${t}" ${t === values.track ? raw('selected') : ''}>${t}</option>`)}</select>` : ''}
<label for="evidence-mediaType">Media type <span class="hint">(optional: the browser's guess from the file name otherwise)</span></label>
<input id="evidence-mediaType" type="text" name="mediaType" value="${values.mediaType ?? ''}" list="evidence-media-types" autocomplete="off">
<datalist id="evidence-media-types">${bounds.mediaTypes.map((t) => html`<option value="${t}"></option>`)}</datalist>
<label for="evidence-file">File <span class="hint" id="evidence-file-hint">(at most ${formatBytes(bounds.maxBytes)}; ${bounds.mediaTypes.join(', ')})</span></label>
<input id="evidence-file" type="file" name="file" required aria-describedby="evidence-file-hint${fileIssue.length ? ' evidence-file-err' : ''}"${fileIssue.length ? raw(' aria-invalid="true"') : raw('')}>
${fileIssue.length ? html`<p class="field-error" id="evidence-file-err">${fileIssue.map((i) => i.message).join('; ')}</p>` : ''}
<button type="submit">Upload</button>
</form>`;
}

export interface EvidenceSectionState {
  bounds: EvidenceBounds | null;
  /** The form's values and the refusal's issues, when an upload failed. */
  failed?: { values: FormFields; issues: { path: string; message: string }[] };
}

export function evidenceSection(p: Principal, s: StatusView, csrf: string, zone: string, st: EvidenceSectionState): Html {
  const list = s.evidence ?? [];
  const upload = st.bounds && canUpload(p, s);
  if (!list.length && !upload) return html``;
  const id = encodeURIComponent(s.reviewId);
  const r = s.evidenceRetention;
  const retention = r ? html`<p id="evidence-retention">${r.deletedAt ? html`The files were deleted from the store at the end of the lab's retention period, ${when(r.deletedAt, zone)}; their digests stay as proof of what existed.`
    : r.deleteAt ? html`The store deletes the files at the end of the lab's retention period (${r.days} days after close): ${when(r.deleteAt, zone)}.`
      : html`The store deletes the files ${r.days} days after the review closes (the lab's retention period).`}</p>` : '';
  const table = list.length ? html`<table id="evidence"><caption class="sr-only">Evidence files you may see</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Media type</th><th scope="col">Size</th><th scope="col">Digest (SHA-256)</th><th scope="col">From</th><th scope="col">Uploaded</th><th scope="col">Visible to</th><th scope="col">File</th></tr></thead>
<tbody>${list.map((e) => html`<tr data-digest="${e.digest}"><td>${e.name}${e.track ? html` <span class="muted">[${e.track}]</span>` : ''}</td><td class="mono">${e.mediaType}</td>
<td class="num">${formatBytes(e.size)}</td><td class="mono digest">${e.digest}</td><td>${e.party}${e.by ? html` <span class="muted">(${e.by})</span>` : ''}</td><td>${when(e.attachedAt, zone)}</td>
<td>${AUDIENCE_WORDS[e.visibleTo]}</td>
<td>${e.deletedAt ? html`<span class="badge closed">deleted at retention end</span> <span class="muted">${when(e.deletedAt, zone)}</span>`
    : html`<a href="/reviews/${id}/evidence/${e.digest}" download aria-label="Download ${e.name}">Download</a>`}</td></tr>`)}</tbody></table>` : html`<p>No evidence files yet.</p>`;
  return html`<section aria-labelledby="h-evidence" id="evidence-section"><h2 id="h-evidence">Evidence (${list.length})</h2>
<p class="muted">Stored encrypted outside the review's history; the review records each file's digest, size and media type.</p>
${retention}${table}
${upload && st.bounds ? html`<div class="no-print">${uploadForm(p, s, csrf, st.bounds, st.failed?.values ?? {}, st.failed?.issues ?? [])}</div>` : ''}
</section>`;
}
