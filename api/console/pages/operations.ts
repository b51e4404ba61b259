import type { Services } from '../../services/index.ts';
import { html, raw, type Fragment, type Html } from '../html.ts';
import type { OPERATIONS_ORDER_SORTS } from '../../../common/list-queries.ts';
import { pager, sortHeader, sortSaid, type ListState } from '../lists.ts';
import { FAILED_ORDER_STATUSES } from '../../../common/domain.ts';
import { FAILING_ENDPOINTS_SHOWN } from '../../services/webhook-health.ts';
import { dateTime, money, page, statusBadge } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

type Ops = Services['operations'];
export interface DashboardData {
  summary: Awaited<ReturnType<Ops['summary']>>;
  stuck: Awaited<ReturnType<Ops['orders']>>['items'];
  stuckCount: number;
  inFlight: Awaited<ReturnType<Ops['orders']>>['items'];
  inFlightCount: number;
  activity: Awaited<ReturnType<Ops['activity']>>;
  stuckAfterMinutes: number;
}

/** A bar chart drawn on the server, with labelled axes; the same numbers follow as a table for screen readers. */
function barChart(id: string, title: string, points: { label: string; value: number }[], unit: string): Html {
  const [left, bottom, width, height] = [44, 34, 720, 180];
  const plotW = width - left - 8;
  const plotH = height - bottom - 10;
  const peak = Math.max(0, ...points.map((p) => p.value));
  const max = Math.max(1, peak);
  const slot = plotW / points.length;
  const bars = points
    .map((p, i) => {
      const h = Math.round((p.value / max) * plotH);
      return `<rect x="${(left + i * slot + 2).toFixed(1)}" y="${10 + plotH - h}" width="${(slot - 4).toFixed(1)}" height="${h}"><title>${p.label}: ${p.value}</title></rect>`;
    })
    .join('');
  // Every sixth hour on the time axis; 0 and the peak on the count axis.
  const ticks = points
    .map((p, i) => (i % 6 === 0 ? `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${10 + plotH + 16}" text-anchor="middle">${p.label}</text>` : ''))
    .join('');
  const axes = `<line x1="${left}" y1="${10 + plotH}" x2="${width - 8}" y2="${10 + plotH}" class="axis"/><line x1="${left}" y1="10" x2="${left}" y2="${10 + plotH}" class="axis"/>
<text x="${left - 6}" y="${10 + plotH}" text-anchor="end">0</text><text x="${left - 6}" y="18" text-anchor="end">${max}</text>
<text x="${left + plotW / 2}" y="${height - 2}" text-anchor="middle">hour (UTC)</text>
<text transform="rotate(-90)" x="${-(10 + plotH / 2)}" y="12" text-anchor="middle">${unit}</text>`;
  return html`<figure class="chart" id="${id}">
<figcaption>${title} (peak ${peak} per hour, ${points.reduce((n, p) => n + p.value, 0)} in all)</figcaption>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t"><title id="${id}-t">${title}</title>${raw(axes + bars + ticks)}</svg>
<details><summary>Show the numbers</summary>
<table class="data compact" data-client-sort><thead><tr><th scope="col">Hour (UTC)</th><th scope="col">Count</th></tr></thead>
<tbody>${points.map((p) => html`<tr><td>${p.label}</td><td class="num">${p.value}</td></tr>`)}</tbody></table>
</details>
</figure>`;
}

type OrderSort = (typeof OPERATIONS_ORDER_SORTS)[number];
const ORDER_LABELS: Record<OrderSort, string> = { partner: 'Partner', status: 'Status', paymentMethod: 'Payment', totalAmount: 'Total', createdAt: 'Placed', updatedAt: 'Last change' };

/** An order table; with a list state its headers sort the list (the full list pages), without it they are plain. */
function ordersTable(caption: Fragment, orders: DashboardData['stuck'], emptyText: string, options: { withReason?: boolean; state?: ListState } = {}): Html {
  const { withReason = false, state } = options;
  const header = (column: OrderSort) => (state ? sortHeader(state, column, ORDER_LABELS[column]) : html`<th scope="col">${ORDER_LABELS[column]}</th>`);
  return html`<table class="data" tabindex="0">
<caption>${caption}</caption>
<thead><tr><th scope="col">Order</th>${header('partner')}${header('status')}${header('paymentMethod')}${header('totalAmount')}${header('createdAt')}${header('updatedAt')}${withReason ? html`<th scope="col">Why</th>` : ''}<th scope="col">Workflow</th></tr></thead>
<tbody>
${orders.length === 0 ? html`<tr><td colspan="${withReason ? 9 : 8}">${emptyText}</td></tr>` : ''}
${orders.map(
  (o) => html`<tr class="${o.stuck ? 'stuck' : ''}" data-order-id="${o.orderId}">
<th scope="row"><code>${o.orderId.slice(0, 8)}</code></th><td>${o.partnerName}</td><td>${statusBadge(o.status)}${o.stuck ? html` <span class="badge overdue-badge">Stuck</span>` : ''}</td>
<td>${o.paymentMethod}</td><td class="num">${money(o.total)}</td><td>${dateTime(o.createdAt)}</td><td>${dateTime(o.updatedAt)}</td>${withReason ? html`<td>${o.failureReason ?? ''}</td>` : ''}
<td>${o.temporalUiUrl ? html`<a href="${o.temporalUiUrl}" target="_blank" rel="noopener">${o.workflowId}<span class="visually-hidden"> (opens the Temporal Web UI)</span></a>` : html`<code>${o.workflowId}</code>`}</td>
</tr>`,
)}
</tbody>
</table>`;
}

/** How many rows each of the dashboard's lists shows; the rest are a link away, sorted and paged. */
export const DASHBOARD_ROWS = 10;

/** "3 stuck orders, oldest first" or "the 10 oldest of 240 stuck orders", and the link to all of them. */
function firstRows(shown: number, total: number, noun: string, order: string, href: string): Fragment {
  const all = total > shown ? html` <a href="${href}">See all ${total}</a>` : total > 0 ? html` <a href="${href}">Sort or export them</a>` : '';
  if (total === 0) return `0 ${noun}`;
  return html`${total > shown ? `The ${shown} ${order} of ${total} ${noun}` : `${total} ${noun}, ${order} first`}.${all}`;
}

export function dashboardPage(session: ConsoleSession, d: DashboardData): Html {
  const { summary } = d;
  const hour = (iso: string) => iso.slice(11, 16);
  return page(
    { title: 'Operations', session, current: '/console/operations' },
    html`${dashboardCards(d)}
<section aria-labelledby="stuck-h">
<h2 id="stuck-h">Stuck orders</h2>
<form method="get" action="/console/operations" class="filters inline">
<div><label for="stuckAfterMinutes">Stuck after (minutes without a status change)</label>
<input id="stuckAfterMinutes" name="stuckAfterMinutes" type="number" min="0" max="100000" value="${d.stuckAfterMinutes}"></div>
<div class="actions"><button type="submit">Update</button></div>
</form>
${ordersTable(firstRows(d.stuck.length, d.stuckCount, d.stuckCount === 1 ? 'stuck order' : 'stuck orders', 'oldest', `/console/operations/orders?stuck=true&stuckAfterMinutes=${d.stuckAfterMinutes}`), d.stuck, 'Nothing is stuck.')}
</section>
<section aria-labelledby="status-h">
<h2 id="status-h">Orders by status</h2>
<table class="data compact" id="orders-by-status" data-client-sort><thead><tr><th scope="col">Status</th><th scope="col">Orders</th></tr></thead>
<tbody>${Object.entries(summary.ordersByStatus).map(([s, n], i) => html`<tr><th scope="row" data-sort-value="${i}">${statusBadge(s)}</th><td class="num">${n}</td></tr>`)}</tbody></table>
<p>Oldest order in flight: ${summary.oldestInFlightOrder ? html`<code>${summary.oldestInFlightOrder.orderId.slice(0, 8)}</code>, ${summary.oldestInFlightOrder.status.replaceAll('_', ' ')} for ${summary.oldestInFlightOrder.ageMinutes} min` : 'none'}.</p>
</section>
<section aria-labelledby="charts-h">
<h2 id="charts-h">Last 24 hours</h2>
${barChart('orders-chart', 'Orders placed per hour', d.activity.map((a) => ({ label: hour(a.hour), value: a.orders })), 'orders')}
${barChart('downloads-chart', 'Downloads served per hour', d.activity.map((a) => ({ label: hour(a.hour), value: a.downloads })), 'downloads')}
</section>
<section aria-labelledby="inflight-h">
<h2 id="inflight-h">All orders in flight</h2>
${ordersTable(firstRows(d.inFlight.length, d.inFlightCount, d.inFlightCount === 1 ? 'order in flight' : 'orders in flight', 'oldest', '/console/operations/orders'), d.inFlight, 'No order is in flight.')}
</section>
${webhooksSection(summary.webhooks)}
<section aria-labelledby="links-h">
<h2 id="links-h">Links expiring in the next 24 hours</h2>
${linksTable(firstRows(Math.min(DASHBOARD_ROWS, summary.linksExpiringIn24h.links.length), summary.linksExpiringIn24h.count, summary.linksExpiringIn24h.count === 1 ? 'link' : 'links', 'soonest', '/console/operations/links'), summary.linksExpiringIn24h.links.slice(0, DASHBOARD_ROWS))}
</section>`,
  );
}

function waited(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

function webhooksSection(w: DashboardData['summary']['webhooks']): Html {
  const lag = w.recent.lagSeconds;
  return html`<section aria-labelledby="webhooks-h">
<h2 id="webhooks-h">Partner webhooks</h2>
<p>${w.backlog} ${w.backlog === 1 ? 'delivery is' : 'deliveries are'} due now, ${w.scheduled} waiting for a retry or a notice time.
In the last ${w.recent.windowMinutes} minutes: ${w.recent.byOutcome.delivered ?? 0} delivered, ${w.recent.byOutcome.retrying ?? 0} retrying, ${w.recent.byOutcome.failed ?? 0} failed${lag.p50 !== null ? html`; from change to delivery ${lag.p50.toFixed(2)} s at the median, ${lag.p99!.toFixed(2)} s at p99` : ''}.</p>
<table class="data" tabindex="0" id="failing-endpoints"${w.failingEndpoints.length > 1 ? html` data-client-sort` : ''}><caption>${w.failingEndpoints.length === 0 ? '0 failing endpoints' : w.failingEndpoints.length >= FAILING_ENDPOINTS_SHOWN ? `The ${FAILING_ENDPOINTS_SHOWN} endpoints failing longest (more may be failing)` : `${w.failingEndpoints.length} failing ${w.failingEndpoints.length === 1 ? 'endpoint' : 'endpoints'}, failing longest first`}</caption>
<thead><tr><th scope="col">Partner</th><th scope="col">URL</th><th scope="col">Failing since</th><th scope="col">Waiting</th><th scope="col">Last answer</th></tr></thead>
<tbody>
${w.failingEndpoints.length === 0 ? html`<tr><td colspan="5">Every receiver is taking its events.</td></tr>` : ''}
${w.failingEndpoints.map(
  (e) =>
    html`<tr><th scope="row">${e.partnerName}</th><td><code>${e.url}</code></td><td data-sort-value="${e.failingSince}">${dateTime(e.failingSince)}</td><td class="num">${e.pending}</td><td>${e.lastResponseStatus ? `HTTP ${e.lastResponseStatus}` : (e.lastError ?? '')}</td></tr>`,
)}
</tbody></table>
</section>`;
}


/** The counts, with when they were computed; console.js fetches them again every 30 s. */
export function dashboardCards(d: Pick<DashboardData, 'summary' | 'stuckCount' | 'stuckAfterMinutes'>): Html {
  const { summary } = d;
  return html`<div id="dashboard-live" aria-live="polite" data-refresh="/console/operations/cards?stuckAfterMinutes=${d.stuckAfterMinutes}" data-refresh-every="30000">
<p class="hint">Computed at ${dateTime(new Date().toISOString())}; it refreshes itself every 30 s.</p>
<section aria-labelledby="counts-h" class="cards">
<h2 id="counts-h" class="visually-hidden">Counts</h2>
<div class="card"><p class="big">${summary.ordersByStatus.awaiting_payment ?? 0}</p><p>awaiting payment</p></div>
<div class="card"><p class="big">${summary.ordersByStatus.provisioning ?? 0}</p><p>provisioning</p></div>
<div class="card ${d.stuckCount ? 'alert' : ''}"><p class="big" id="stuck-count"><a href="/console/operations/orders?stuck=true&amp;stuckAfterMinutes=${d.stuckAfterMinutes}">${d.stuckCount}</a></p><p>stuck (no change for ${d.stuckAfterMinutes} min)</p></div>
<div class="card"><p class="big"><a href="/console/operations/links">${summary.linksExpiringIn24h.count}</a></p><p>links expiring in 24 h</p></div>
<div class="card ${summary.overdueRefundCases ? 'alert' : ''}"><p class="big"><a href="/console/refund-cases?overdue=true">${summary.overdueRefundCases}</a></p><p>overdue refund cases</p></div>
${FAILED_ORDER_STATUSES.map((s) => html`<div class="card ${summary.ordersByStatus[s] ? 'alert' : ''}"><p class="big"><a href="/console/operations/orders?status=${s}">${summary.ordersByStatus[s] ?? 0}</a></p><p>${s.replaceAll('_', ' ')} orders</p></div>`)}
<div class="card ${summary.webhooks.failingEndpoints.length ? 'alert' : ''}"><p class="big"><a href="#webhooks-h">${summary.webhooks.backlog}</a></p><p>webhook deliveries due${summary.webhooks.oldestDueSeconds !== null ? html`, oldest ${waited(summary.webhooks.oldestDueSeconds)}` : ''}</p></div>
</section>
</div>`;
}

type ExpiringLinks = Awaited<ReturnType<Ops['expiringLinks']>>['items'];

function linksTable(caption: Fragment, links: ExpiringLinks, state?: ListState): Html {
  return html`<table class="data" tabindex="0" id="expiring-links"><caption>${caption}</caption>
<thead><tr><th scope="col">Link</th><th scope="col">Subscription</th>${state ? sortHeader(state, 'expiresAt', 'Expires') : html`<th scope="col">Expires</th>`}<th scope="col">Downloads</th></tr></thead>
<tbody>
${links.length === 0 ? html`<tr><td colspan="4">No link expires in the next 24 hours.</td></tr>` : ''}
${links.map((l) => html`<tr data-link-id="${l.linkId}"><th scope="row"><code>${l.linkId.slice(0, 8)}</code></th><td><code>${l.subscriptionId.slice(0, 8)}</code></td><td>${dateTime(l.expiresAt)}</td><td class="num">${l.downloadsUsed} / ${l.maxDownloads}</td></tr>`)}
</tbody></table>`;
}

export interface OrderListView {
  title: string;
  orders: DashboardData['stuck'];
  total: number;
  next?: string;
  onFirstPage: boolean;
  state: ListState;
  withReason: boolean;
  notice?: string;
}

/** Where the dashboard's counts and lists lead: those orders, sorted by any column and paged, with why where they ended. */
export function ordersListPage(session: ConsoleSession, v: OrderListView): Html {
  const order = sortSaid(v.state, ORDER_LABELS, 'oldest first');
  return page(
    { title: v.title, session, current: '/console/operations', notice: v.notice ? { kind: 'error', text: v.notice } : undefined },
    html`<p><a href="/console/operations">← Operations</a></p>
${ordersTable(`${v.total} ${v.total === 1 ? 'order' : 'orders'}${v.orders.length < v.total ? `, ${v.orders.length} on this page` : ''}, ${order}`, v.orders, 'No order is in this list.', { withReason: v.withReason, state: v.state })}
${pager(v.state, v)}`,
  );
}

export function expiringLinksPage(session: ConsoleSession, v: { links: ExpiringLinks; total: number; next?: string; onFirstPage: boolean; state: ListState; notice?: string }): Html {
  const latestFirst = v.state.sort === '-expiresAt';
  return page(
    { title: 'Links expiring in the next 24 hours', session, current: '/console/operations', notice: v.notice ? { kind: 'error', text: v.notice } : undefined },
    html`<p><a href="/console/operations">← Operations</a></p>
${linksTable(`${v.total} ${v.total === 1 ? 'link' : 'links'}${v.links.length < v.total ? `, ${v.links.length} on this page` : ''}, ${latestFirst ? 'latest' : 'soonest'} first`, v.links, v.state)}
${pager(v.state, v)}`,
  );
}
