import { IN_FLIGHT_ORDER_STATUSES, ORDER_STATUSES, type OrderStatus } from '../../../common/domain.ts';
import type { Services } from '../../services/index.ts';
import { html, type Html } from '../html.ts';
import { csrfField, dateTime, formProblems, money, page, statusBadge } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

type Customer = Awaited<ReturnType<Services['customers']['list']>>['items'][number];
type OrderRow = Awaited<ReturnType<Services['orders']['listForCustomer']>>['items'][number];
type Order = Awaited<ReturnType<Services['orders']['get']>>;
const CURRENT = '/console/customers';

/** A customer's orders in every status, newest first, with why each one that failed did. */
export function orderHistoryPage(session: ConsoleSession, customer: Customer, orders: OrderRow[], filter: { status?: string; invalid?: string }): Html {
  return page(
    { title: `Orders of ${customer.companyName}`, session, current: CURRENT, notice: filter.invalid ? { kind: 'error', text: filter.invalid } : undefined },
    html`<p><a href="/console/customers/${customer.id}">← Software of ${customer.companyName}</a></p>
<form method="get" action="/console/customers/${customer.id}/orders" class="filters">
<div><label for="status">Status</label><select id="status" name="status"><option value="">Every status</option>
${ORDER_STATUSES.map((s) => html`<option value="${s}"${filter.status === s ? html` selected` : ''}>${s.replaceAll('_', ' ')}</option>`)}</select></div>
<div class="actions"><button type="submit">Show</button></div>
</form>
<table class="data" tabindex="0" id="orders"><caption>${orders.length} ${orders.length === 1 ? 'order' : 'orders'}, newest first</caption>
<thead><tr><th scope="col">Placed</th><th scope="col">Status</th><th scope="col">Products</th><th scope="col">Total</th><th scope="col">Why</th></tr></thead>
<tbody>
${orders.length === 0 ? html`<tr><td colspan="5">No order${filter.status ? ` is ${filter.status.replaceAll('_', ' ')}` : ' yet'}.</td></tr>` : ''}
${orders.map(
  (o) =>
    html`<tr data-order-id="${o.orderId}"><th scope="row"><a href="/console/orders/${o.orderId}">${dateTime(o.createdAt)}</a></th><td>${statusBadge(o.status)}</td>
<td>${o.lineItems.map((l, i) => html`${i ? html`<br>` : ''}${l.quantity} × ${l.productName}`)}</td><td class="num">${money(o.total)}</td><td>${o.failureReason ?? ''}</td></tr>`,
)}
</tbody></table>`,
  );
}

const settled = (status: OrderStatus) => !IN_FLIGHT_ORDER_STATUSES.includes(status);

/** The part of the order page that changes while it is in flight (console.js fetches it again). */
export function orderLive(order: Order): Html {
  return html`<div id="order-live" aria-live="polite"${settled(order.status) ? html` data-settled="true"` : html` data-refresh="/console/orders/${order.orderId}/live"`}>
<dl class="facts">
<dt>Status</dt><dd id="order-status">${statusBadge(order.status)}${settled(order.status) ? '' : html` <span class="hint">(updates by itself)</span>`}</dd>
${order.failureReason ? html`<dt>Why</dt><dd>${order.failureReason}</dd>` : ''}
</dl>
<h2>Timeline</h2>
<ol class="timeline">${order.timeline.map((e) => html`<li>${dateTime(e.at)}: ${statusBadge(e.status)} ${e.detail}</li>`)}</ol>
${order.subscriptions.length ? html`<p><a href="/console/customers/${order.customerId}">See the software it bought</a> (${order.subscriptions.length})</p>` : ''}
</div>`;
}

export function orderPage(session: ConsoleSession, order: Order, notice?: string): Html {
  return page(
    { title: `Order ${order.orderId.slice(0, 8)}`, session, current: CURRENT, notice: notice ? { kind: 'success', text: notice } : undefined },
    html`<p><a href="/console/customers/${order.customerId}/orders">← Orders of this customer</a></p>
<dl class="facts">
<dt>Order</dt><dd><code>${order.orderId}</code></dd>
<dt>Placed</dt><dd>${dateTime(order.createdAt)}</dd>
<dt>Payment</dt><dd>${PAYMENT_LABELS[order.paymentMethod] ?? order.paymentMethod}</dd>
</dl>
<table class="data" tabindex="0"><caption>Line items</caption>
<thead><tr><th scope="col">Product</th><th scope="col">Quantity</th><th scope="col">Unit price</th><th scope="col">Line total</th></tr></thead>
<tbody>${order.lineItems.map((l) => html`<tr><th scope="row">${l.productName}</th><td class="num">${l.quantity}</td><td class="num">${money(l.unitPrice)}</td><td class="num">${money(l.lineTotal)}</td></tr>`)}</tbody>
<tfoot><tr><th scope="row" colspan="3">Total</th><td class="num">${money(order.total)}</td></tr></tfoot></table>
${orderLive(order)}`,
  );
}

type Product = Awaited<ReturnType<Services['catalog']['list']>>['items'][number];
const PAYMENT_LABELS: Record<string, string> = {
  pm_card_ok: 'Card on file (charged at once)',
  pm_async: 'Bank transfer (confirmed by the provider later)',
  pm_card_declined: 'Test card that is declined',
  pm_flaky: 'Test card whose provider fails twice, then charges',
};

export interface PurchaseForm {
  quantities?: Record<string, string>;
  paymentMethod?: string;
  errors?: { path: string; message: string }[];
}

/** "Add products": the catalog with prices and quantities, the payment method and the total. */
export function purchasePage(session: ConsoleSession, customer: Customer, products: Product[], methods: readonly string[], idempotencyKey: string, form: PurchaseForm = {}): Html {
  const q = form.quantities ?? {};
  const problems = formProblems('Nothing was ordered:', form.errors?.map((e) => ({ field: e.path, text: e.message })));
  return page(
    { title: `Add products for ${customer.companyName}`, session, current: CURRENT },
    html`<p><a href="/console/customers/${customer.id}">← Software of ${customer.companyName}</a></p>
${problems.summary}
<form method="post" action="/console/customers/${customer.id}/buy" class="stack" data-total>
<input type="hidden" name="idempotencyKey" value="${idempotencyKey}">
${csrfField(session)}
<fieldset id="products"${problems.invalid('products')}><legend>Products and licences</legend>
<table class="data" tabindex="0"><thead><tr><th scope="col">Product</th><th scope="col">Unit price</th><th scope="col">Quantity</th></tr></thead>
<tbody>${products.map(
      (p) =>
        html`<tr><th scope="row"><label for="qty-${p.id}">${p.name}</label><br><span class="hint">${p.description}</span></th><td class="num">${money(p.unitPrice)}</td>
<td><input id="qty-${p.id}" name="qty-${p.id}" type="number" min="0" max="10000" step="1" inputmode="numeric" value="${q[p.id] ?? '0'}" data-price="${p.unitPrice.amount}" data-currency="${p.unitPrice.currency}"></td></tr>`,
    )}</tbody></table>
${problems.beside('products')}
</fieldset>
<div><label for="paymentMethod">Payment method</label><select id="paymentMethod" name="paymentMethod"${problems.invalid('paymentMethod')}>${methods.map((m) => html`<option value="${m}"${(form.paymentMethod ?? 'pm_card_ok') === m ? html` selected` : ''}>${PAYMENT_LABELS[m] ?? m}</option>`)}</select>${problems.beside('paymentMethod')}</div>
<p>Total: <strong id="order-total" aria-live="polite">computed when you place the order</strong></p>
<button type="submit">Place order</button>
</form>`,
  );
}
