import type { Request } from 'express';
import { z } from 'zod';
import { ACCESS } from '../../../common/access.ts';
import { operationsOrdersQuery } from '../../../common/list-queries.ts';
import { pageShape } from '../../../common/paging.ts';
import type { Config } from '../../../common/config.ts';
import { FAILED_ORDER_STATUSES, IN_FLIGHT_ORDER_STATUSES } from '../../../common/domain.ts';
import { allow, filledQuery, firstPageIfStale, listFilters, send, session, STALE_PAGE, type ConsoleArea } from '../kit.ts';
import { CONSOLE_PAGE, type ListState } from '../lists.ts';
import { DASHBOARD_ROWS, dashboardCards, dashboardPage, expiringLinksPage, ordersListPage } from '../pages/operations.ts';

/** The dashboard's "stuck after" threshold: the one asked for, or STUCK_ORDER_AFTER. */
function stuckAfterMinutes(req: Request, config: Config): number {
  const requested = z.coerce.number().int().min(0).max(100_000).safeParse(req.query.stuckAfterMinutes);
  return requested.success && req.query.stuckAfterMinutes !== '' ? requested.data : Math.round(config.stuckOrderAfterMs / 60_000);
}

const expiringQuery = z.strictObject({ sort: z.enum(['expiresAt', '-expiresAt']).optional(), ...pageShape });

/** Operations' area: the dashboard, and the full lists its counts and tables lead to. */
export function operationsArea({ router, config, services }: ConsoleArea): void {
  router.get('/operations', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const minutes = stuckAfterMinutes(req, config);
    const stuckAfterMs = minutes * 60_000;
    const [summary, stuck, stuckCount, inFlight, activity] = await Promise.all([
      services.operations.summary(),
      services.operations.orders({ stuck: 'true', limit: DASHBOARD_ROWS }, stuckAfterMs),
      services.operations.countOrders({ stuck: 'true' }, stuckAfterMs),
      services.operations.orders({ limit: DASHBOARD_ROWS }, stuckAfterMs),
      services.operations.activity(24),
    ]);
    // In flight: the summary's counts of those statuses already say how many.
    const inFlightCount = IN_FLIGHT_ORDER_STATUSES.reduce((n, s) => n + (summary.ordersByStatus[s] ?? 0), 0);
    send(res, 200, dashboardPage(session(res), { summary, stuck: stuck.items, stuckCount, inFlight: inFlight.items, inFlightCount, activity, stuckAfterMinutes: minutes }));
  });

  // The dashboard's counts again, for console.js's refresh.
  router.get('/operations/cards', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const minutes = stuckAfterMinutes(req, config);
    const [summary, stuckCount] = await Promise.all([services.operations.summary(), services.operations.countOrders({ stuck: 'true' }, minutes * 60_000)]);
    res.setHeader('Cache-Control', 'no-store');
    send(res, 200, dashboardCards({ summary, stuckCount, stuckAfterMinutes: minutes }));
  });

  // Where the counts and the dashboard's tables lead: stuck, in-flight or ended orders, sorted and paged.
  router.get('/operations/orders', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const minutes = stuckAfterMinutes(req, config);
    const { stuckAfterMinutes: _threshold, ...rest } = filledQuery(req);
    const { filters: query, invalid } = listFilters(operationsOrdersQuery, { limit: CONSOLE_PAGE, ...rest });
    const stuckAfterMs = minutes * 60_000;
    const [{ found, stale }, total] = await Promise.all([
      firstPageIfStale(query, (q) => services.operations.orders(q, stuckAfterMs)),
      services.operations.countOrders(query, stuckAfterMs),
    ]);
    const state: ListState = {
      path: '/console/operations/orders',
      filters: { status: query.status, stuck: query.stuck, olderThanMinutes: query.olderThanMinutes, stuckAfterMinutes: query.stuck ? minutes : undefined },
      sort: query.sort,
      byDefault: 'createdAt',
    };
    const title = query.stuck === 'true' ? `Stuck orders (no change for ${minutes} min)` : query.status ? `Orders ${query.status.replaceAll('_', ' ')}` : 'Orders in flight';
    const withReason = query.status !== undefined && FAILED_ORDER_STATUSES.includes(query.status);
    send(res, invalid ? 422 : 200, ordersListPage(session(res), { title, orders: found.items, total, next: found.next, onFirstPage: !query.cursor || stale, state, withReason, notice: invalid ?? (stale ? STALE_PAGE : undefined) }));
  });

  router.get('/operations/links', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const parsed = expiringQuery.safeParse({ limit: CONSOLE_PAGE, ...filledQuery(req) });
    const query = parsed.success ? parsed.data : { limit: CONSOLE_PAGE };
    const [{ found, stale }, total] = await Promise.all([firstPageIfStale(query, (q) => services.operations.expiringLinks(q)), services.operations.countExpiringLinks()]);
    const state: ListState = { path: '/console/operations/links', filters: {}, sort: query.sort, byDefault: 'expiresAt' };
    send(res, 200, expiringLinksPage(session(res), { links: found.items, total, next: found.next, onFirstPage: !query.cursor || stale, state, notice: stale ? STALE_PAGE : undefined }));
  });
}
