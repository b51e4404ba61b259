import { z } from 'zod';
import type { Config } from '../../common/config.ts';
import { IN_FLIGHT_ORDER_STATUSES, OPEN_REFUND_CASE_STATUSES, ORDER_STATUSES, REFUND_CASE_STATUSES } from '../../common/domain.ts';
import { OPERATIONS_ORDER_SORTS, type operationsOrdersQuery } from '../../common/list-queries.ts';
import { webhookHealth } from './webhook-health.ts';
import { temporalUiLink } from './temporal-ui.ts';
import type { Db } from '../../db/client.ts';
import type { PageRequest } from '../../common/paging.ts';
import type { ActivityRetry, DownloadLink, Order } from '../../generated/prisma/client.ts';
import { asTime, keyset, pageOf, sortedBy, type Keyset, type SortColumn } from './paging.ts';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { orderStateQuery } from '../../common/messages.ts';
import type { Rpc } from './rpc.ts';
import { moneyOf } from '../../common/money.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const isInFlight = (status: string) => (IN_FLIGHT_ORDER_STATUSES as readonly string[]).includes(status);

type OrderRow = Order & { partner: { name: string } };
const ORDER_SORTS: Record<(typeof OPERATIONS_ORDER_SORTS)[number], SortColumn> = {
  createdAt: { field: 'createdAt', kind: 'time' },
  updatedAt: { field: 'updatedAt', kind: 'time' },
  partner: { field: ['partner', 'name'], kind: 'text' },
  status: { field: 'status', kind: 'text', ordered: ORDER_STATUSES },
  paymentMethod: { field: 'paymentMethod', kind: 'text' },
  totalAmount: { field: 'totalAmount', kind: 'decimal' },
};
const operationsOrders = (sort = 'createdAt') => sortedBy<OrderRow>('operations-orders', ORDER_SORTS, sort);
// activity_retries has no id column: its key (workflow, activity) breaks ties, carried as JSON.
const RETRYING: Keyset<ActivityRetry> = {
  list: 'retrying',
  field: 'firstFailedAt',
  direction: 'asc',
  at: (r) => r.firstFailedAt.toISOString(),
  id: (r) => JSON.stringify([r.workflowId, r.activityId]),
  parse: asTime,
  tiebreak: {
    orderBy: [{ workflowId: 'asc' }, { activityId: 'asc' }],
    after: (op, id) => {
      const [workflowId, activityId] = z.tuple([z.string(), z.string()]).parse(JSON.parse(id));
      return { OR: [{ workflowId: { [op]: workflowId } }, { workflowId, activityId: { [op]: activityId } }] };
    },
  },
};

/** The filters of the operations order lists, shared by a page and its count. */
function ordersWhere(query: Pick<z.infer<typeof operationsOrdersQuery>, 'status' | 'olderThanMinutes' | 'stuck'>, now: number, stuckSince: Date) {
  return {
    status: query.status ? query.status : { in: [...IN_FLIGHT_ORDER_STATUSES] },
    ...(query.olderThanMinutes !== undefined ? { createdAt: { lte: new Date(now - query.olderThanMinutes * MINUTE) } } : {}),
    ...(query.stuck === 'true' ? { status: { in: [...IN_FLIGHT_ORDER_STATUSES] }, updatedAt: { lte: stuckSince } } : {}),
    ...(query.stuck === 'false' ? { NOT: { status: { in: [...IN_FLIGHT_ORDER_STATUSES] }, updatedAt: { lte: stuckSince } } } : {}),
  };
}

const expiringWhere = (now: number, hours: number) => ({ status: 'active' as const, expiresAt: { gt: new Date(now), lte: new Date(now + hours * HOUR) } });
const EXPIRING_SORTS = { expiresAt: { field: 'expiresAt', kind: 'time' } } as const satisfies Record<string, SortColumn>;
const linkView = (l: DownloadLink) => ({ linkId: l.id, subscriptionId: l.subscriptionId, expiresAt: l.expiresAt.toISOString(), downloadsUsed: l.downloadsUsed, maxDownloads: l.maxDownloads });

export function createOperationsService(deps: { db: Db; config: Config; temporal: Client; rpc: Rpc }) {
  const { db, config, temporal, rpc } = deps;
  const uiLink = (workflowId: string) => temporalUiLink(config, workflowId);

  return {
    /** In-flight orders (or those of one status), oldest first unless sorted otherwise, with how long they have waited. */
    async orders(query: z.infer<typeof operationsOrdersQuery>, stuckAfterMs = config.stuckOrderAfterMs) {
      const now = Date.now();
      const stuckSince = new Date(now - stuckAfterMs);
      const spec = operationsOrders(query.sort);
      const k = keyset(spec, query);
      const orders = await db.order.findMany({
        where: { AND: [ordersWhere(query, now, stuckSince), k.where] },
        include: { partner: { select: { name: true } } },
        orderBy: k.orderBy,
        take: k.take,
      });
      return pageOf(orders, spec, query, (o) => ({
        orderId: o.id,
        partnerId: o.partnerId,
        partnerName: o.partner.name,
        customerId: o.customerId,
        status: o.status,
        paymentMethod: o.paymentMethod,
        total: moneyOf(o.totalAmount, o.currency),
        ageMinutes: Math.floor((now - o.createdAt.getTime()) / MINUTE),
        minutesInStatus: Math.floor((now - o.updatedAt.getTime()) / MINUTE),
        failureReason: o.failureReason,
        stuck: isInFlight(o.status) && o.updatedAt <= stuckSince,
        workflowId: o.workflowId,
        temporalUiUrl: uiLink(o.workflowId),
        createdAt: o.createdAt.toISOString(),
        updatedAt: o.updatedAt.toISOString(),
      }));
    },

    /** How many orders the same filters hold, all pages together. */
    async countOrders(query: Omit<z.infer<typeof operationsOrdersQuery>, 'limit' | 'cursor' | 'sort'>, stuckAfterMs = config.stuckOrderAfterMs) {
      const now = Date.now();
      return db.order.count({ where: ordersWhere(query, now, new Date(now - stuckAfterMs)) });
    },

    countExpiringLinks: (hours = 24) => db.downloadLink.count({ where: expiringWhere(Date.now(), hours) }),

    /** Active download windows that close by time within `hours`, soonest first (or latest first), paged. */
    async expiringLinks(page: PageRequest & { sort?: 'expiresAt' | '-expiresAt' }, hours = 24) {
      const now = Date.now();
      const spec = sortedBy<DownloadLink>('expiring-links', EXPIRING_SORTS, page.sort ?? 'expiresAt');
      const k = keyset(spec, page);
      const rows = await db.downloadLink.findMany({ where: { AND: [expiringWhere(now, hours), k.where] }, orderBy: k.orderBy, take: k.take });
      return pageOf(rows, spec, page, linkView);
    },

    /**
     * Compares the read model with the workflows: every in-flight order and every order changed in
     * the last 24 h is asked for its live state. Disagreements are what operations must look at.
     */
    async reconciliation() {
      const since = new Date(Date.now() - 24 * 60 * MINUTE);
      const orders = await db.order.findMany({
        where: { OR: [{ status: { in: [...IN_FLIGHT_ORDER_STATUSES] } }, { updatedAt: { gte: since } }] },
        orderBy: { updatedAt: 'desc' },
        take: 200,
      });
      const mismatches: { orderId: string; workflowId: string; database: string; workflow: string }[] = [];
      let unreachable = 0;
      await Promise.all(
        orders.map(async (order) => {
          try {
            const state = await rpc(() =>
              temporal.workflow.getHandle(order.workflowId).query(orderStateQuery),
            );
            // A cancellation is the refund case's doing, after the purchase workflow has ended.
            const expected = order.status === 'cancelled' ? 'active' : order.status;
            if (state.status !== expected) mismatches.push({ orderId: order.id, workflowId: order.workflowId, database: order.status, workflow: state.status });
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) {
              mismatches.push({ orderId: order.id, workflowId: order.workflowId, database: order.status, workflow: 'not_found' });
            } else {
              unreachable++;
            }
          }
        }),
      );
      return { checked: orders.length, unreachable, mismatches };
    },

    /** Orders placed and downloads served per hour over the last `hours` hours, oldest hour first. */
    async activity(hours = 24) {
      const now = new Date();
      const from = new Date(Math.floor(now.getTime() / HOUR) * HOUR - (hours - 1) * HOUR);
      const [orders, downloads] = await Promise.all([
        db.$queryRaw<{ hour: Date; n: bigint }[]>`SELECT date_trunc('hour', created_at, 'UTC') AS hour, count(*) AS n FROM orders WHERE created_at >= ${from} GROUP BY 1`,
        db.$queryRaw<{ hour: Date; n: bigint }[]>`SELECT date_trunc('hour', at, 'UTC') AS hour, count(*) AS n FROM download_events WHERE at >= ${from} GROUP BY 1`,
      ]);
      const byHour = (rows: { hour: Date; n: bigint }[]) => new Map(rows.map((r) => [r.hour.getTime(), Number(r.n)]));
      const o = byHour(orders);
      const d = byHour(downloads);
      return Array.from({ length: hours }, (_, i) => {
        const hour = from.getTime() + i * HOUR;
        return { hour: new Date(hour).toISOString(), orders: o.get(hour) ?? 0, downloads: d.get(hour) ?? 0 };
      });
    },

    /** Activities retrying a transient failure (attempt 3 and on), the longest-failing first. */
    async retrying(page: PageRequest) {
      const k = keyset(RETRYING, page);
      const rows = await db.activityRetry.findMany({ where: k.where, orderBy: k.orderBy, take: k.take });
      return pageOf(rows, RETRYING, page, (r) => ({
        workflowId: r.workflowId,
        workflowType: r.workflowType,
        activityId: r.activityId,
        activityType: r.activityType,
        attempt: r.attempt,
        lastError: r.lastError,
        firstFailedAt: r.firstFailedAt.toISOString(),
        lastFailedAt: r.lastFailedAt.toISOString(),
        temporalUiUrl: uiLink(r.workflowId),
      }));
    },

    async summary() {
      const now = Date.now();
      const [orderCounts, caseCounts, overdueCases, oldest, expiring, retrying, webhooks] = await Promise.all([
        db.order.groupBy({ by: ['status'], _count: { _all: true } }),
        db.refundCase.groupBy({ by: ['status'], _count: { _all: true } }),
        db.refundCase.count({ where: { overdue: true, status: { in: [...OPEN_REFUND_CASE_STATUSES] } } }),
        db.order.findFirst({ where: { status: { in: [...IN_FLIGHT_ORDER_STATUSES] } }, orderBy: { createdAt: 'asc' } }),
        Promise.all([
          db.downloadLink.count({ where: expiringWhere(now, 24) }),
          db.downloadLink.findMany({ where: expiringWhere(now, 24), orderBy: [{ expiresAt: 'asc' }, { id: 'asc' }], take: 100 }),
        ]),
        db.activityRetry.count(),
        webhookHealth(db),
      ]);
      const count = <S extends string>(statuses: readonly S[], rows: { status: string; _count: { _all: number } }[]) =>
        Object.fromEntries(statuses.map((s) => [s, rows.find((r) => r.status === s)?._count._all ?? 0]));
      return {
        ordersByStatus: count(ORDER_STATUSES, orderCounts),
        refundCasesByStatus: count(REFUND_CASE_STATUSES, caseCounts),
        overdueRefundCases: overdueCases,
        retryingActivities: retrying,
        oldestInFlightOrder: oldest
          ? { orderId: oldest.id, status: oldest.status, ageMinutes: Math.floor((now - oldest.createdAt.getTime()) / MINUTE), workflowId: oldest.workflowId }
          : null,
        linksExpiringIn24h: { count: expiring[0], links: expiring[1].map(linkView) },
        webhooks,
      };
    },
  };
}
