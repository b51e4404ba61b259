// What each list takes: its filters, and the page (limit, cursor) every list shares.
import { z } from 'zod';
import { ORDER_STATUSES, REFUND_CASE_STATUSES } from './domain.ts';
import { pageShape } from './paging.ts';

/** The columns the refund-case queue sorts by (`sort=col` ascending, `sort=-col` descending). */
export const REFUND_CASE_SORTS = ['createdAt', 'title', 'partner', 'customer', 'product', 'status', 'impact', 'amountRequested', 'slaDueAt'] as const;
/** The columns the operations order lists sort by. */
export const OPERATIONS_ORDER_SORTS = ['createdAt', 'updatedAt', 'partner', 'status', 'paymentMethod', 'totalAmount'] as const;

export type SortOf<C extends string> = C | `-${C}`;
/** `sort`: one of the list's columns, `-` in front for descending; absent, the list's own order (oldest first). */
function sortParam<const C extends readonly string[]>(columns: C) {
  const values = columns.flatMap((c) => [c, `-${c}`]) as [SortOf<C[number]>, ...SortOf<C[number]>[]];
  return z
    .enum(values, { error: `one of ${columns.join(', ')}, each optionally preceded by - for descending` })
    .optional()
    .describe('The column to sort by, - in front for descending; absent, the list’s own order');
}

const orderStatus = z.enum(ORDER_STATUSES).optional().describe('Only orders in this status');

export const customerOrdersQuery = z.strictObject({ status: orderStatus, ...pageShape });

export const refundCaseListQuery = z.strictObject({
  status: z.enum(REFUND_CASE_STATUSES).optional().describe('Only cases in this status'),
  partnerId: z.uuid().optional().describe('Only this partner’s cases'),
  olderThanHours: z.coerce.number().min(0).max(100_000).optional().describe('Only cases filed more than this many hours ago'),
  overdue: z.enum(['true', 'false']).optional().describe('true: only open cases past their SLA; false: only the others'),
  q: z.string().trim().min(1).max(253).optional().describe('A case, subscription, order or customer id, or part of the customer’s domain'),
  sort: sortParam(REFUND_CASE_SORTS),
  ...pageShape,
});

export const operationsOrdersQuery = z.strictObject({
  status: orderStatus,
  olderThanMinutes: z.coerce.number().min(0).max(10_000_000).optional().describe('Only orders placed more than this many minutes ago'),
  stuck: z.enum(['true', 'false']).optional().describe('true: only in-flight orders whose status has not moved for longer than STUCK_ORDER_AFTER; false: only the others'),
  sort: sortParam(OPERATIONS_ORDER_SORTS),
  ...pageShape,
});

const time = z.iso.datetime({ offset: true, message: 'an ISO 8601 time, e.g. 2026-12-01T00:00:00Z' });

export const auditEventsQuery = z.strictObject({
  partnerId: z.uuid().optional().describe('Only this partner’s events'),
  actorAgentId: z.uuid().optional().describe('Only events by this agent'),
  action: z.string().max(100).optional().describe('Only this action, e.g. product_key.reveal'),
  targetType: z.string().max(100).optional().describe('Only events on this kind of target, e.g. subscription'),
  targetId: z.string().max(200).optional().describe('Only events on this target'),
  from: time.optional().describe('Only events at or after this time (ISO 8601 with an offset)'),
  to: time.optional().describe('Only events before this time (ISO 8601 with an offset)'),
  ...pageShape,
});
