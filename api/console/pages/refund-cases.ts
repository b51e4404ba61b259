import { randomUUID } from 'node:crypto';
import { REFUND_CASE_STATUSES } from '../../../common/domain.ts';
import { REFUND_CASE_SORTS } from '../../../common/list-queries.ts';
import { listHref, pager, sortHeader, sortSaid, type ListState } from '../lists.ts';
import type { Services } from '../../services/index.ts';
import { html, type Html } from '../html.ts';
import { csrfField, dateTime, errorSummary, money, page, statusBadge, type PageOptions } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

type CaseList = Awaited<ReturnType<Services['refundCases']['list']>>['items'];
type CaseDetail = Awaited<ReturnType<Services['refundCases']['get']>>;

export interface QueueFilters {
  status?: string;
  partnerId?: string;
  olderThanHours?: number;
  overdue?: string;
  q?: string;
  sort?: string;
}

const option = (value: string, label: string, selected: string | undefined) => html`<option value="${value}"${selected === value ? html` selected` : ''}>${label}</option>`;

/** A case waits for a decision in these; "Overdue" means nothing once support has decided. */
const WAITING = new Set(['submitted', 'in_review']);

/** The queue's columns: each header's words and the sort it sets. */
const COLUMN_LABELS: Record<(typeof REFUND_CASE_SORTS)[number], string> = {
  title: 'Case',
  partner: 'Partner',
  customer: 'Customer',
  product: 'Product',
  status: 'Status',
  impact: 'Impact',
  amountRequested: 'Amount requested',
  createdAt: 'Filed',
  slaDueAt: 'SLA due',
};

export interface QueuePage {
  cases: CaseList;
  next?: string;
  onFirstPage: boolean;
}

export function queuePage(session: ConsoleSession, queue: QueuePage, filters: QueueFilters, partners: { id: string; name: string }[], notice?: string): Html {
  const showPartner = !session.caller.partnerId;
  const { cases } = queue;
  const state: ListState = {
    path: '/console/refund-cases',
    filters: { q: filters.q, status: filters.status, partnerId: filters.partnerId, overdue: filters.overdue, olderThanHours: filters.olderThanHours },
    sort: filters.sort,
    byDefault: 'createdAt',
  };
  const header = (column: (typeof REFUND_CASE_SORTS)[number]) => sortHeader(state, column, COLUMN_LABELS[column]);
  return page(
    { title: 'Refund cases', session, current: '/console/refund-cases', notice: notice ? { kind: 'error', text: notice } : undefined },
    html`<form method="get" action="/console/refund-cases" class="filters" aria-label="Filter refund cases">
  <div><label for="f-q">Search</label>
  <input id="f-q" name="q" type="search" maxlength="253" placeholder="case, subscription or order id, or domain" value="${filters.q ?? ''}"></div>
  <div><label for="f-status">Status</label>
  <select id="f-status" name="status">${option('', 'Any status', filters.status ?? '')}${REFUND_CASE_STATUSES.map((s) => option(s, s.replaceAll('_', ' '), filters.status))}</select></div>
  ${showPartner
    ? html`<div><label for="f-partner">Partner</label>
  <select id="f-partner" name="partnerId">${option('', 'Any partner', filters.partnerId ?? '')}${partners.map((p) => option(p.id, p.name, filters.partnerId))}</select></div>`
    : ''}
  <div><label for="f-overdue">SLA</label>
  <select id="f-overdue" name="overdue">${option('', 'Any', filters.overdue ?? '')}${option('true', 'Overdue only', filters.overdue)}${option('false', 'Within SLA', filters.overdue)}</select></div>
  <div><label for="f-age">Older than (hours)</label>
  <input id="f-age" name="olderThanHours" type="number" min="0" step="1" inputmode="numeric" value="${filters.olderThanHours ?? ''}"></div>
  ${filters.sort ? html`<input type="hidden" name="sort" value="${filters.sort}">` : ''}
  <div class="actions"><button type="submit">Apply filters</button> <a href="/console/refund-cases">Clear</a>
  <a href="${listHref('/console/refund-cases/export.csv', { ...state.filters, sort: filters.sort })}" download>Export CSV</a></div>
</form>
<table class="data" tabindex="0" id="case-queue">
<caption>${cases.length} ${cases.length === 1 ? 'case' : 'cases'}${queue.onFirstPage && !queue.next ? '' : ' on this page'}, ${sortSaid(state, COLUMN_LABELS, 'oldest first')}</caption>
<thead><tr>${header('title')}${showPartner ? header('partner') : ''}${header('customer')}${header('product')}${header('status')}${header('impact')}${header('amountRequested')}${header('createdAt')}${header('slaDueAt')}</tr></thead>
<tbody>
${cases.length === 0 ? html`<tr><td colspan="${showPartner ? 9 : 8}">No refund case matches these filters.</td></tr>` : ''}
${cases.map(
  (c) => html`<tr class="${c.overdue && WAITING.has(c.status) ? 'overdue' : ''}" data-case-id="${c.refundCaseId}">
<th scope="row"><a href="/console/refund-cases/${c.refundCaseId}">${c.title}</a></th>
${showPartner ? html`<td>${c.partnerName}</td>` : ''}
<td>${c.customerDomain}</td><td>${c.productName}</td>
<td>${statusBadge(c.status)}</td><td>${c.impact}</td><td class="num">${money(c.amountRequested)}</td><td>${dateTime(c.createdAt)}</td>
<td>${dateTime(c.slaDueAt)}${c.overdue && WAITING.has(c.status) ? html` <span class="badge overdue-badge">Overdue</span>` : ''}</td>
</tr>`,
)}
</tbody>
</table>
${pager(state, queue)}`,
  );
}

/** Each form its own Idempotency-Key: sent twice (a double click, a resubmit), it records once. A refused form is shown with a new one. */
const onceField = () => html`<input type="hidden" name="idempotencyKey" value="${randomUUID()}">`;

export interface CaseForm {
  errors?: { path: string; message: string }[];
  values?: Record<string, string>;
  notice?: PageOptions['notice'];
}

export function casePage(session: ConsoleSession, c: CaseDetail, form: CaseForm = {}): Html {
  const role = session.caller.role;
  const open = c.status !== 'completed' && c.status !== 'rejected';
  const v = form.values ?? {};
  const decision = v.decision ?? 'approve';
  const radio = (value: string, label: string) =>
    html`<div><input type="radio" id="d-${value}" name="decision" value="${value}"${decision === value ? html` checked` : ''} required><label for="d-${value}">${label}</label></div>`;
  return page(
    { title: c.title, session, current: '/console/refund-cases', notice: form.notice },
    html`<div id="case-live" aria-live="polite"${following(c)}>${caseStatus(c)}</div>
<dl class="facts">
  <dt>Case</dt><dd><code>${c.refundCaseId}</code>${c.temporalUiUrl ? html` · <a href="${c.temporalUiUrl}">workflow in the Temporal Web UI</a>` : ''}</dd>
  <dt>Partner</dt><dd>${c.partner.name}</dd>
  <dt>Customer</dt><dd>${c.customer.companyName} · ${c.customer.domain}${role === 'admin_agent' ? html` · <a href="/console/customers/${c.customer.id}">its Software</a>` : ''}</dd>
  <dt>Product</dt><dd>${c.quantity} × ${c.product.name}${role === 'admin_agent' ? html` · <a href="/console/customers/${c.customer.id}/software/${c.subscriptionId}">the item</a>` : ''}</dd>
  <dt>Purchased</dt><dd>${dateTime(c.purchasedAt)}</dd>
  <dt>Refund window</dt><dd id="refund-window">${c.withinRefundWindow ? html`<span class="badge status-active">inside</span> filed before it closed on ${dateTime(c.refundableUntil)}` : html`<span class="badge status-expired">outside</span> it closed on ${dateTime(c.refundableUntil)}, before the case was filed`}</dd>
  <dt>Amount paid</dt><dd>${money(c.amountPaid)} (already refunded: ${money(c.alreadyRefunded)})</dd>
  <dt>Issue type</dt><dd>${c.issueType}</dd>
  <dt>Impact</dt><dd>${c.impact}</dd>
  <dt>Customer, as the ticket gives it</dt><dd>${c.customerReference}</dd>
  <dt>Order or subscription</dt><dd><code>${c.orderReference}</code></dd>
  <dt>Refund reason</dt><dd>${c.refundReason}</dd>
  ${c.description ? html`<dt>Description</dt><dd>${c.description}</dd>` : ''}
  <dt>Amount requested</dt><dd>${money(c.amountRequested)}</dd>
  <dt>Approved amount</dt><dd>${money(c.approvedAmount)}</dd>
  <dt>Age</dt><dd>${c.ageHours} h</dd>
  <dt>SLA due</dt><dd>${dateTime(c.slaDueAt)}</dd>
  <dt>Contact</dt><dd>${c.contact.name} · <a href="mailto:${c.contact.email}">${c.contact.email}</a> · ${c.contact.phone}</dd>
  <dt>Partner ticket</dt><dd>${c.externalTicketId ?? '—'}</dd>
  <dt>Attachments</dt><dd>${c.attachments.length ? html`<ul>${c.attachments.map((a) => html`<li>${role === 'support_engineer' ? html`<a href="/console/refund-cases/${c.refundCaseId}/attachments/${a.id}" download>${a.fileName}</a>` : a.fileName} (${a.contentType}, ${a.sizeBytes} bytes, SHA-256 <code>${a.sha256.slice(0, 12)}…</code>)</li>`)}</ul>` : 'none'}</dd>
</dl>
<div id="case-timeline" aria-live="polite">${caseTimeline(c)}</div>
${role === 'support_engineer'
  ? c.status === 'in_review'
    ? html`<section aria-labelledby="decide-h">
<h2 id="decide-h">Decision</h2>
${errorSummary(form.errors)}
<form method="post" action="/console/refund-cases/${c.refundCaseId}/decision" class="stack">
${csrfField(session)}${onceField()}
<fieldset><legend>Decision</legend>
${radio('approve', 'Approve the refund (the key and links are revoked)')}
${radio('reject', 'Reject (the software stays active)')}
${radio('request_info', 'Ask the partner for more information')}
</fieldset>
<div><label for="approvedAmount">Approved amount (${c.amountRequested.currency}, at most ${c.amountRequested.amount}; approvals only)</label>
<input id="approvedAmount" name="approvedAmount" inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,2})?" value="${v.approvedAmount ?? c.amountRequested.amount}"></div>
<div><label for="note">Note (required; goes to the audit log)</label>
<textarea id="note" name="note" rows="3" required maxlength="2000">${v.note ?? ''}</textarea></div>
<button type="submit">Record decision</button>
</form>
</section>`
    : html`<p>No decision can be recorded while the case is ${c.status.replaceAll('_', ' ')}.</p>`
  : ''}
${open && (role === 'support_engineer' || role === 'admin_agent')
  ? html`<section aria-labelledby="comment-h">
<h2 id="comment-h">${role === 'admin_agent' && c.status === 'info_requested' ? 'Answer the request for information' : 'Add a comment'}</h2>
<form method="post" action="/console/refund-cases/${c.refundCaseId}/comments" class="stack">
${csrfField(session)}${onceField()}
<div><label for="comment">Comment</label>
<textarea id="comment" name="note" rows="3" required maxlength="2000"></textarea></div>
<button type="submit">Add comment</button>
</form>
</section>`
  : ''}`,
  );
}

const CLOSED = new Set(['completed', 'rejected']);

/** The case's status, at the top of its page; it changes as the case's workflow moves (console.js follows it until it closes). */
function caseStatus(c: CaseDetail): Html {
  const closed = CLOSED.has(c.status);
  return html`<p class="case-status">Status: <strong id="case-status">${statusBadge(c.status)}</strong>${c.overdue && !closed && c.status !== 'approved' ? html` <span class="badge overdue-badge">Overdue</span>` : ''}</p>`;
}

/** The timeline, below the facts; it is brought up to date with the status. */
function caseTimeline(c: CaseDetail): Html {
  return html`<section aria-labelledby="timeline-h">
<h2 id="timeline-h">Timeline</h2>
<ol class="timeline">
${c.timeline.map((e) => html`<li>${dateTime(e.at)} <strong>${e.type.replaceAll('_', ' ')}</strong>${e.actor ? html` by ${e.actor.name}` : ''}${e.note ? html`: ${e.note}` : ''}</li>`)}
</ol>
</section>`;
}

const following = (c: CaseDetail) => (CLOSED.has(c.status) ? html` data-settled="true"` : html` data-refresh="/console/refund-cases/${c.refundCaseId}/live"`);

/** The page's two changing parts as one fragment, each found on the page by its id (console.js). */
export function caseLive(c: CaseDetail): Html {
  return html`<div${following(c)}><div id="case-live" data-live-part>${caseStatus(c)}</div><div id="case-timeline" data-live-part>${caseTimeline(c)}</div></div>`;
}
