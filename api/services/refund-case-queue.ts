// The refund-case queue: its filters, search and sorts, one page of it or all of it for an export.
import type { z } from 'zod';
import { IMPACTS, REFUND_CASE_STATUSES } from '../../common/domain.ts';
import { REFUND_CASE_SORTS, type refundCaseListQuery } from '../../common/list-queries.ts';
import { moneyOf } from '../../common/money.ts';
import type { PageRequest } from '../../common/paging.ts';
import type { Db } from '../../db/client.ts';
import type { RefundCase } from '../../generated/prisma/client.ts';
import type { Caller } from '../auth.ts';
import { everyRow, keyset, pageOf, sortedBy, type SortColumn } from './paging.ts';
import { partnerScope } from './scope.ts';

const HOUR = 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const QUEUE_INCLUDE = { partner: { select: { name: true } }, customer: { select: { domain: true } }, subscription: { select: { product: { select: { name: true } } } } } as const;
type QueueRow = RefundCase & { partner: { name: string }; customer: { domain: string }; subscription: { product: { name: string } } };

/** Where each of the queue's sort columns is: on the case, or through its partner, customer or product. */
const CASE_SORTS: Record<(typeof REFUND_CASE_SORTS)[number], SortColumn> = {
  createdAt: { field: 'createdAt', kind: 'time' },
  title: { field: 'title', kind: 'text' },
  partner: { field: ['partner', 'name'], kind: 'text' },
  customer: { field: ['customer', 'domain'], kind: 'text' },
  product: { field: ['subscription', 'product', 'name'], kind: 'text' },
  status: { field: 'status', kind: 'text', ordered: REFUND_CASE_STATUSES },
  impact: { field: 'impact', kind: 'text', ordered: IMPACTS },
  amountRequested: { field: 'amountRequested', kind: 'decimal' },
  slaDueAt: { field: 'slaDueAt', kind: 'time' },
};
const caseQueue = (sort = 'createdAt') => sortedBy<QueueRow>('refund-cases', CASE_SORTS, sort);

type QueueQuery = z.infer<typeof refundCaseListQuery>;

/** A case as every answer shows it (the queue's rows and the case page). */
export function caseView(c: RefundCase, now = Date.now()) {
  return {
    refundCaseId: c.id,
    partnerId: c.partnerId,
    customerId: c.customerId,
    subscriptionId: c.subscriptionId,
    orderId: c.orderId,
    status: c.status,
    issueType: c.issueType,
    impact: c.impact,
    title: c.title,
    amountRequested: moneyOf(c.amountRequested, c.currency),
    approvedAmount: c.approvedAmount ? moneyOf(c.approvedAmount, c.currency) : null,
    ageHours: Math.round(((now - c.createdAt.getTime()) / HOUR) * 10) / 10,
    slaDueAt: c.slaDueAt.toISOString(),
    overdue: c.overdue,
    escalatedAt: c.escalatedAt?.toISOString() ?? null,
    workflowId: c.workflowId,
    createdAt: c.createdAt.toISOString(),
    completedAt: c.completedAt?.toISOString() ?? null,
  };
}

/** A case in a list: with the customer's domain and the product, so the queue reads without opening each. */
const listView = (c: QueueRow, now = Date.now()) => ({ ...caseView(c, now), partnerName: c.partner.name, customerDomain: c.customer.domain, productName: c.subscription.product.name });

/** The queue, its page and its export: the same query, filters and sort. */
export function createRefundCaseQueue(db: Db) {
  function queue(caller: Caller, query: QueueQuery, page: PageRequest): Promise<QueueRow[]> {
    const k = keyset(caseQueue(query.sort), page);
    // A search is a case, subscription, order or customer id, or part of the customer's domain.
    const search = query.q ? (UUID.test(query.q) ? { OR: [{ id: query.q }, { subscriptionId: query.q }, { orderId: query.q }, { customerId: query.q }] } : { customer: { domain: { contains: query.q, mode: 'insensitive' as const } } }) : {};
    return db.refundCase.findMany({
      where: {
        AND: [
          {
            ...partnerScope(caller),
            ...(query.partnerId && !caller.partnerId ? { partnerId: query.partnerId } : {}),
            ...(query.status ? { status: query.status } : {}),
            ...(query.overdue ? { overdue: query.overdue === 'true' } : {}),
            ...(query.olderThanHours !== undefined ? { createdAt: { lte: new Date(Date.now() - query.olderThanHours * HOUR) } } : {}),
          },
          search,
          k.where,
        ],
      },
      include: QUEUE_INCLUDE,
      orderBy: k.orderBy,
      take: k.take,
    });
  }

  return {
    /** The queue, oldest first unless sorted otherwise: one page of it. */
    async list(caller: Caller, query: QueueQuery) {
      const now = Date.now();
      return pageOf(await queue(caller, query, query), caseQueue(query.sort), query, (c) => listView(c, now));
    },

    /** Every case of the filtered queue, for an export. */
    async *everyCase(caller: Caller, query: QueueQuery) {
      const now = Date.now();
      for await (const c of everyRow(async (page) => ({ rows: await queue(caller, query, page), spec: caseQueue(query.sort) }))) yield listView(c, now);
    },
  };
}
