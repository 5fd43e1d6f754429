/**
 * The patch ids of reviewWorkflow, oldest first. Each guards a change of what the workflow does; reviews
 * recorded before it keep their commands (test/replay proves each guard matters). README: "Changing workflow
 * code safely".
 */
/** Calendar invites, webhooks and address-rejection alerts. */
export const NOTICES_V2 = 'notices-v2';
/** Reviewers replaced on a track get the closure and disposal notices too (they held access). */
export const NOTIFY_FORMER_REVIEWERS = 'notify-former-reviewers';
/** The notice activity posts webhook copies and alerts itself: commands never depend on an activity's result (TMPRL1100). */
export const DELIVERY_IN_ACTIVITY = 'delivery-in-activity';
/** A date that moved by less than a minute (a pause of seconds) sends no calendar update (taken at the branch). */
export const CALENDAR_MINUTE_MOVES = 'calendar-minute-moves';
/** Coalesced calendar updates, summary excerpts in notices, and the history budget (continue-as-new). */
export const REVIEW_CORE_V2 = 'review-core-v2';
/**
 * Stands for every patch above (one marker instead of five), and: the notices of one workflow task go out in one
 * sendNotices activity. Reviews that recorded the older markers keep them (the checks fall through to them).
 */
export const REVIEW_CORE_V3 = 'review-core-v3';
/**
 * The verifiable record: at close the review signs a closure receipt (an activity) and holds the lab's review-closed
 * mail until it can carry it; an evaluation of another model than the package's is flagged to the PM.
 */
export const VERIFIABLE_RECORD = 'verifiable-record';
/**
 * Stands for review-core-v3 (and so every patch before it), and: the review card (review-card.ts) in the memo and the reviewer ids in the ReviewReviewers search attribute,
 * rewritten when they change: lists read them from one visibility query instead of a status query per review.
 */
export const REVIEW_CARD = 'review-card';
/**
 * Evidence in the record (workflows/evidence.ts): disposal requests list what each party holds, and after close the
 * review waits for the lab's retention period to end, then deletes its evidence files. Taken at the branch — the
 * first attachment, or the close — so only reviews that reach it record the marker.
 */
export const EVIDENCE_RECORD = 'evidence-record';
/**
 * Stands for review-card, verifiable-record and evidence-record (one marker, at the start, instead of three: each
 * marker also costs a TemporalChangeVersion upsert), and: the card is kept in four memo fields, each rewritten only
 * when it changed (review-card.ts cardMemoFields), so a transition writes ~100 bytes instead of the whole card; each
 * card change sets ReviewUpdatedAt (the server's copy of the cards lists only what changed), in one upsert with the
 * phase's attributes, which wait for the card's write at the end of the task.
 */
export const COMPACT_HISTORY = 'compact-history';
/**
 * Stands for compact-history (and so every patch before it), and: the closure receipt is signed by a local activity
 * handed the audit trail (closure-receipt.ts), not by an activity that queries it — one marker instead of the
 * activity's three events and the workflow task its completion wakes (5 events fewer per closed review), and one
 * round trip less before the closure notices go out.
 */
export const LOCAL_RECEIPT = 'local-receipt';
/**
 * Stands for local-receipt (and so every patch before it), and: a batch of notices is first sent by a *local*
 * activity in the workflow task that created it (notice-dispatch.ts) — one marker instead of the activity's three
 * events and the workflow task its completion wakes, and no round trip through the server before the mail leaves.
 * When that one quick attempt fails (SMTP trouble, a timeout), the batch goes to the sendNotices activity as before,
 * which retries with backoff for as long as the trouble lasts.
 */
export const LOCAL_NOTICES = 'local-notices';
