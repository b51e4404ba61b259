import { IMPACTS } from '../../../common/domain.ts';
import type { Services } from '../../services/index.ts';
import { html, type Html } from '../html.ts';
import { csrfField, dateTime, errorSummary, formProblems, page, statusBadge, type PageOptions } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../../../common/schemas.ts';
import { ACCEPTED_TYPES, ACCEPT_ATTRIBUTE } from '../uploads.ts';

type Customer = Awaited<ReturnType<Services['customers']['list']>>['items'][number];
type SoftwareList = Awaited<ReturnType<Services['software']['list']>>['items'];
type SoftwareItem = Awaited<ReturnType<Services['software']['get']>>;
type Windows = Awaited<ReturnType<Services['software']['links']>>['items'];
type Shown = { productKey: string; download: { url?: string; expiresAt: string; maxDownloads: number; downloadsUsed: number } };

const CURRENT = '/console/customers';

export interface CustomerForm {
  values?: { domain?: string; companyName?: string };
  errors?: { path: string; message: string }[];
}

export function customersPage(session: ConsoleSession, customers: Customer[], form: CustomerForm = {}): Html {
  const v = form.values ?? {};
  const problems = formProblems('The customer was not added:', form.errors?.map((e) => ({ field: e.path, text: e.message })));
  const input = (id: 'domain' | 'companyName', label: string, attrs: Html) =>
    html`<div><label for="${id}">${label}</label><input id="${id}" name="${id}" value="${v[id] ?? ''}" ${attrs}${problems.invalid(id)}>${problems.beside(id)}</div>`;
  const addForm = html`<section aria-labelledby="add-customer-h">
<h2 id="add-customer-h">Add a customer</h2>
${problems.summary}
<form method="post" action="/console/customers" class="stack narrow">
${csrfField(session)}
${input('domain', 'Domain (the customer’s tenant domain)', html`required maxlength="253" placeholder="contoso.com" autocomplete="off"`)}
${input('companyName', 'Company name', html`required maxlength="200"`)}
<button type="submit">Add customer</button>
</form>
</section>`;
  return page(
    { title: 'Customers', session, current: CURRENT },
    html`${addForm}
<table class="data" tabindex="0">
<caption>${customers.length} customers</caption>
<thead><tr><th scope="col">Domain</th><th scope="col">Company</th><th scope="col">Tenant ID</th></tr></thead>
<tbody>
${customers.length === 0 ? html`<tr><td colspan="3">No customers yet.</td></tr>` : ''}
${customers.map((c) => html`<tr><th scope="row"><a href="/console/customers/${c.id}">${c.domain}</a></th><td>${c.companyName}</td><td><code>${c.id}</code></td></tr>`)}
</tbody>
</table>`,
  );
}

export function softwareListPage(session: ConsoleSession, customer: Customer, items: SoftwareList): Html {
  return page(
    { title: `Software of ${customer.companyName}`, session, current: CURRENT },
    html`<p>${customer.domain} · tenant <code>${customer.id}</code> · <a href="/console/customers/${customer.id}/orders">Orders</a> · <a class="button" href="/console/customers/${customer.id}/buy">Add products</a> · <a href="/console/customers/${customer.id}/software/export.csv" download>Export CSV</a></p>
<table class="data" tabindex="0">
<caption>Everything bought for this customer (${items.length})</caption>
<thead><tr><th scope="col">Product</th><th scope="col">Quantity</th><th scope="col">Status</th><th scope="col">Purchased</th><th scope="col">Order</th></tr></thead>
<tbody>
${items.length === 0 ? html`<tr><td colspan="5">Nothing bought yet.</td></tr>` : ''}
${items.map(
  (s) => html`<tr><th scope="row"><a href="/console/customers/${customer.id}/software/${s.subscriptionId}">${s.productName}</a></th><td class="num">${s.quantity}</td><td>${statusBadge(s.status)}</td><td>${dateTime(s.purchasedAt)}</td><td><code>${s.orderId.slice(0, 8)}</code></td></tr>`,
)}
</tbody>
</table>`,
  );
}

export interface ItemForm {
  errors?: { path: string; message: string }[];
  values?: Record<string, string>;
  result?: Shown;
  notice?: PageOptions['notice'];
  /** Every download window ever opened, newest first. */
  windows?: Windows;
  /** The item's latest cancellation. */
  refundCase?: { id: string; title: string; status: string } | null;
  /** Whether the form had carried files when it comes back with errors: they must be chosen again. */
  filesSent?: boolean;
}

const ENDED_BECAUSE: Record<string, string> = { time: 'its 14 days passed', downloads: 'all its downloads were used', revoked: 'revoked (the purchase was cancelled)' };

function left(expiresAt: string): string {
  const ms = Date.parse(expiresAt) - Date.now();
  if (ms <= 0) return 'ending now';
  const hours = Math.floor(ms / 3600_000);
  return hours >= 48 ? `${Math.floor(hours / 24)} days left` : hours >= 1 ? `${hours} h left` : `${Math.max(1, Math.floor(ms / 60_000))} min left`;
}

function windowsSection(windows: Windows): Html {
  return html`<section aria-labelledby="windows-h">
<h2 id="windows-h">Download windows</h2>
<table class="data" tabindex="0" id="windows"><caption>Every window opened for this software (${windows.length}), newest first</caption>
<thead><tr><th scope="col">Variant</th><th scope="col">Opened</th><th scope="col">Ended</th><th scope="col">Downloads</th><th scope="col">Status</th></tr></thead>
<tbody>
${windows.length === 0 ? html`<tr><td colspan="5">No window opened yet.</td></tr>` : ''}
${windows.map(
  (w) =>
    html`<tr><th scope="row">${w.variant.version} · ${w.variant.language} · ${w.variant.fileType}</th><td>${dateTime(w.openedAt)}</td>
<td>${w.status === 'active' ? html`open until ${dateTime(w.expiresAt)} (${left(w.expiresAt)})` : html`${dateTime(w.endedAt)}: ${ENDED_BECAUSE[w.endReason ?? ''] ?? w.status}`}</td>
<td class="num">${w.downloadsUsed} / ${w.maxDownloads}${w.status === 'active' ? html`<br><span class="hint">${w.maxDownloads - w.downloadsUsed} left</span>` : ''}</td><td>${statusBadge(w.status)}</td></tr>`,
)}
</tbody></table>
</section>`;
}

export function softwareItemPage(session: ConsoleSession, customer: Customer, item: SoftwareItem, form: ItemForm = {}): Html {
  const isAdmin = session.caller.role === 'admin_agent';
  const v = form.values ?? {};
  const select = (id: string, label: string, options: string[]) =>
    html`<div><label for="${id}">${label}</label><select id="${id}" name="${id}" required>${options.map((o) => html`<option${v[id] === o ? html` selected` : ''}>${o}</option>`)}</select></div>`;
  const base = `/console/customers/${customer.id}/software/${item.subscriptionId}`;
  return page(
    { title: item.productName, session, current: CURRENT, notice: form.notice },
    html`<p><a href="/console/customers/${customer.id}">← Software of ${customer.companyName}</a></p>
<dl class="facts">
<dt>Status</dt><dd>${statusBadge(item.status)}</dd>
<dt>Quantity</dt><dd>${item.quantity}</dd>
<dt>Purchased</dt><dd>${dateTime(item.purchasedAt)}</dd>
<dt>Subscription</dt><dd><code>${item.subscriptionId}</code></dd>
<dt>Order</dt><dd><code>${item.orderId}</code></dd>
</dl>
${form.result
  ? html`<section aria-labelledby="result-h" class="result">
<h2 id="result-h">Key and download</h2>
<dl class="facts">
<dt>Product key</dt><dd><code id="product-key">${form.result.productKey}</code> <button type="button" data-copy="#product-key">Copy key</button></dd>
<dt>Download link</dt><dd><a id="download-url" href="${form.result.download.url ?? ''}">${form.result.download.url}</a> <button type="button" data-copy="#download-url">Copy link</button></dd>
<dt>Expires</dt><dd>${dateTime(form.result.download.expiresAt)} or after ${form.result.download.maxDownloads} downloads (${form.result.download.downloadsUsed} used)</dd>
</dl>
</section>`
  : ''}
${isAdmin && item.status === 'active'
  ? html`<section aria-labelledby="keys-h">
<h2 id="keys-h">Get keys and downloads</h2>
${errorSummary(form.errors)}
<form method="post" action="${base}/keys-and-downloads" class="stack">
${csrfField(session)}
${select('version', 'Version', item.options.versions)}
${select('language', 'Language', item.options.languages)}
${select('fileType', 'File type / operating system', item.options.fileTypes)}
<button type="submit">Get keys and downloads</button>
</form>
</section>`
  : ''}
${windowsSection(form.windows ?? [])}
${form.refundCase
  ? html`<section aria-labelledby="case-h"${form.refundCase.status === 'info_requested' ? html` class="notice error" role="status"` : ''}>
<h2 id="case-h">Cancellation</h2>
<p><a href="/console/refund-cases/${form.refundCase.id}">${form.refundCase.title}</a>: ${statusBadge(form.refundCase.status)}${form.refundCase.status === 'info_requested' ? html`. Support has asked for information: open the case to answer.` : ''}</p>
</section>`
  : ''}
${isAdmin && item.status === 'active' ? html`<p><a class="button danger" href="${base}/cancel">Cancel this purchase…</a></p>` : ''}
${!isAdmin ? html`<p class="hint">Only admin agents can get keys and downloads or cancel a purchase.</p>` : ''}`,
  );
}

/** Where the API's names for a ticket's fields (`amountRequested.amount`) are on the form, and what a person calls them. */
const CANCEL_FIELD_OF: Record<string, [string, string]> = {
  title: ['title', 'Title'],
  impact: ['impact', 'Impact'],
  refundReason: ['refundReason', 'Refund reason'],
  amountRequested: ['amount', 'Amount requested'],
  'amountRequested.amount': ['amount', 'Amount requested'],
  description: ['description', 'Description'],
  'contact.name': ['contactName', 'Contact name'],
  'contact.email': ['contactEmail', 'Contact email'],
  'contact.phone': ['contactPhone', 'Contact phone'],
  attachments: ['attachments', 'Attachments'],
};
const fieldOf = (path: string): [string, string] => CANCEL_FIELD_OF[path] ?? CANCEL_FIELD_OF[path.split('.')[0]!] ?? ['title', 'The form'];

export function refundCaseFilingPage(session: ConsoleSession, customer: Customer, item: SoftwareItem, currency: string, idempotencyKey: string, form: ItemForm = {}, paid?: string): Html {
  const v = form.values ?? {};
  const problems = formProblems('Please correct:', form.errors?.map((e) => ({ field: fieldOf(e.path)[0], label: fieldOf(e.path)[1], text: e.message })));
  const described = problems.invalid;
  const beside = problems.beside;
  const field = (id: string, label: string, attrs: Html = html``, fallback = '') =>
    html`<div><label for="${id}">${label}</label><input id="${id}" name="${id}" value="${v[id] ?? fallback}" ${attrs}${described(id)}>${beside(id)}</div>`;
  return page(
    { title: `Cancel ${item.productName}`, session, current: CURRENT, notice: form.notice },
    html`<p>This opens a support ticket of type “CSP purchase/refund on behalf of customers”. Once support completes it, the product key and its download links are revoked.</p>
${problems.summary}
<form method="post" action="/console/customers/${customer.id}/software/${item.subscriptionId}/cancel" class="stack" enctype="multipart/form-data">
${csrfField(session)}
<input type="hidden" name="idempotencyKey" value="${idempotencyKey}">
<p>Customer: <strong>${customer.domain}</strong> · subscription <code>${item.subscriptionId}</code></p>
${field('title', 'Title', html`required maxlength="200"`)}
<div><label for="impact">Impact</label><select id="impact" name="impact"${described('impact')}>${IMPACTS.map((i) => html`<option${(v.impact ?? 'medium') === i ? html` selected` : ''}>${i}</option>`)}</select>${beside('impact')}</div>
<div><label for="refundReason">Refund reason</label><textarea id="refundReason" name="refundReason" rows="2" required maxlength="2000"${described('refundReason')}>${v.refundReason ?? ''}</textarea>${beside('refundReason')}</div>
${field('amount', paid ? `Amount requested (${currency}; at most ${paid}, what was paid)` : `Amount requested (${currency})`, html`required inputmode="decimal"`, paid ?? '')}
<div><label for="description">Description (optional)</label><textarea id="description" name="description" rows="3" maxlength="5000"${described('description')}>${v.description ?? ''}</textarea>${beside('description')}</div>
<fieldset><legend>Contact</legend>
${field('contactName', 'Name', html`required autocomplete="name"`)}
${field('contactEmail', 'Email', html`required type="email" autocomplete="email"`)}
${field('contactPhone', 'Phone', html`required type="tel" autocomplete="tel"`)}
</fieldset>
<div><label for="attachments">Attachments (optional)</label>
<p class="hint" id="attachments-hint">Up to ${MAX_ATTACHMENTS} files of ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB each: ${ACCEPTED_TYPES}.${form.filesSent ? html` <strong>A browser cannot keep files across a correction: choose them again.</strong>` : ''}</p>
<input id="attachments" name="attachments" type="file" multiple accept="${ACCEPT_ATTRIBUTE}"${problems.invalid('attachments') ? html` aria-invalid="true" aria-describedby="attachments-hint attachments-error"` : html` aria-describedby="attachments-hint"`}>${beside('attachments')}</div>
<button type="submit" class="danger">Open the cancellation ticket</button>
</form>`,
  );
}
