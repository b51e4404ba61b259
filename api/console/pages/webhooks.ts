import { WEBHOOK_EVENT_TYPES } from '../../../common/domain.ts';
import type { deliveryView, endpointView } from '../../services/webhooks.ts';
import { html, type Html } from '../html.ts';
import { csrfField, dateTime, formProblems, page, statusBadge, type PageOptions } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

type Endpoint = ReturnType<typeof endpointView>;
type Delivery = ReturnType<typeof deliveryView>;
const CURRENT = '/console/webhooks';

/** What each event type tells the partner's system, in the words of the form. */
const EVENT_LABELS: Record<(typeof WEBHOOK_EVENT_TYPES)[number], string> = {
  'order.active': 'an order is paid and provisioned',
  'order.payment_failed': 'an order’s payment failed',
  'order.expired': 'an order’s payment never came',
  'order.failed': 'an order could not be provisioned (payment refunded)',
  'link.opened': 'a download window opened',
  'link.expiring': 'a download window ends soon',
  'link.expired': 'a download window ended (time or downloads)',
  'link.revoked': 'a download window was revoked',
  'refund_case.submitted': 'a cancellation was filed',
  'refund_case.info_requested': 'support asks for information',
  'refund_case.approved': 'support approved a cancellation',
  'refund_case.rejected': 'support rejected a cancellation',
  'refund_case.completed': 'a cancellation is complete (key revoked, refund issued)',
  'key.revoked': 'a product key was revoked',
};

export interface EndpointForm {
  values?: { url?: string; description?: string; events?: string[] };
  errors?: { path: string; message: string }[];
}

export function webhooksPage(session: ConsoleSession, endpoints: Endpoint[], form: EndpointForm = {}, notice?: PageOptions['notice']): Html {
  const v = form.values ?? {};
  const chosen = new Set(v.events ?? WEBHOOK_EVENT_TYPES);
  // `events.3` is about the events fieldset: errors are placed by the field their path starts with.
  const problems = formProblems('The endpoint was not added:', form.errors?.map((e) => ({ field: e.path.split('.')[0]!, text: e.message })));
  return page(
    { title: 'Webhooks', session, current: CURRENT, notice },
    html`<p>Your systems hear about orders, download windows and cancellations as they happen: each event is POSTed to your URL, signed per
<a href="https://www.standardwebhooks.com/">Standard Webhooks</a>, and retried for up to three days until your system answers 2xx.</p>
<section aria-labelledby="endpoints-h">
<h2 id="endpoints-h">Endpoints</h2>
<table class="data" tabindex="0"><caption>${endpoints.length} ${endpoints.length === 1 ? 'endpoint' : 'endpoints'}</caption>
<thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
<tbody>
${endpoints.length === 0 ? html`<tr><td colspan="4">No endpoint yet: add one below.</td></tr>` : ''}
${endpoints.map(
  (e) =>
    html`<tr><th scope="row"><a href="/console/webhooks/${e.id}">${e.url}</a>${e.description ? html`<br><span class="hint">${e.description}</span>` : ''}</th><td class="num">${e.events.length}</td><td>${statusBadge(e.status)}</td><td>${dateTime(e.createdAt)}</td></tr>`,
)}
</tbody></table>
</section>
<section aria-labelledby="add-h">
<h2 id="add-h">Add an endpoint</h2>
${problems.summary}
<form method="post" action="/console/webhooks" class="stack">
${csrfField(session)}
<div><label for="url">URL that receives the events</label>
<input id="url" name="url" type="url" required maxlength="2000" placeholder="https://erp.example.com/hooks/csp" value="${v.url ?? ''}"${problems.invalid('url')}>${problems.beside('url')}</div>
<div><label for="description">Description (optional)</label><input id="description" name="description" maxlength="500" value="${v.description ?? ''}"></div>
<fieldset id="events"${problems.invalid('events')}><legend>Events to send</legend>
${WEBHOOK_EVENT_TYPES.map((t) => html`<div class="check"><input type="checkbox" id="ev-${t}" name="events" value="${t}"${chosen.has(t) ? html` checked` : ''}><label for="ev-${t}"><code>${t}</code>: ${EVENT_LABELS[t]}</label></div>`)}
${problems.beside('events')}
</fieldset>
<button type="submit">Add endpoint</button>
</form>
</section>`,
  );
}

export function webhookEndpointPage(session: ConsoleSession, e: Endpoint, deliveries: Delivery[], secret?: string, notice?: PageOptions['notice']): Html {
  const base = `/console/webhooks/${e.id}`;
  const post = (action: string, label: string, cls = '') => html`<form method="post" action="${base}/${action}" class="inline">${csrfField(session)}<button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button></form>`;
  return page(
    { title: 'Webhook endpoint', session, current: CURRENT, notice },
    html`<p><a href="/console/webhooks">← Webhooks</a></p>
${secret
  ? html`<section aria-labelledby="secret-h" class="result">
<h2 id="secret-h">Signing secret</h2>
<p>Copy it into your receiver now: it is shown only this once. Your receiver verifies each request with it (any Standard Webhooks library does).</p>
<p><code id="signing-secret">${secret}</code> <button type="button" data-copy="#signing-secret">Copy secret</button></p>
</section>`
  : ''}
<dl class="facts">
<dt>URL</dt><dd><code>${e.url}</code></dd>
${e.description ? html`<dt>Description</dt><dd>${e.description}</dd>` : ''}
<dt>Status</dt><dd>${statusBadge(e.status)}${e.disabledReason ? html` (${e.disabledReason})` : ''}</dd>
<dt>Events</dt><dd>${e.events.map((t, i) => html`${i ? ', ' : ''}<code>${t}</code>`)}</dd>
<dt>Created</dt><dd>${dateTime(e.createdAt)}</dd>
${e.previousSecretExpiresAt ? html`<dt>Previous secret</dt><dd>still signs until ${dateTime(e.previousSecretExpiresAt)}</dd>` : ''}
</dl>
<div class="actions">
${e.status === 'enabled' ? post('disable', 'Disable') : post('enable', 'Enable')}
${post('rotate-secret', 'Rotate secret')}
<a class="button danger" href="${base}/delete">Delete endpoint…</a>
</div>
<section aria-labelledby="deliveries-h">
<h2 id="deliveries-h">Recent deliveries</h2>
${deliveries.length === 0
  ? html`<p id="deliveries">No event has been sent to this endpoint yet.</p>`
  : html`<table class="data" tabindex="0" id="deliveries"><caption>The latest ${deliveries.length}, newest first</caption>
<thead><tr><th scope="col">Event</th><th scope="col">Happened</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Next attempt</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>
${deliveries.map(
  (d) =>
    html`<tr><th scope="row"><code>${d.eventType}</code><br><span class="hint">${d.eventId}</span></th><td>${dateTime(d.occurredAt)}</td><td>${statusBadge(d.status)}</td><td class="num">${d.attempts}</td>
<td>${d.lastResponseStatus ? `HTTP ${d.lastResponseStatus}` : (d.lastError ?? '—')}</td><td>${dateTime(d.nextAttemptAt)}</td>
<td>${d.status === 'pending' ? '' : post(`deliveries/${d.id}/redeliver`, 'Redeliver')}</td></tr>`,
)}
</tbody></table>`}
</section>`,
  );
}

export function deleteEndpointPage(session: ConsoleSession, e: Endpoint): Html {
  return page(
    { title: 'Delete this webhook endpoint?', session, current: CURRENT },
    html`<p>Events stop going to <code>${e.url}</code> at once, and its delivery history is deleted. Events still waiting for it are not sent.</p>
<form method="post" action="/console/webhooks/${e.id}/delete" class="actions">${csrfField(session)}<button type="submit" class="danger">Delete endpoint</button> <a href="/console/webhooks/${e.id}">Keep it</a></form>`,
  );
}
