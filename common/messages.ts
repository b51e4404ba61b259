// Everything the API and the workflows must agree on: task queue, workflow ids, signals, updates,
// queries and search attributes. Imported by workflow code, so no Node modules here.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CommentRequest, DecisionRequest, DownloadGrant, LinkState, OrderState, PaymentEventType, RefundCaseState } from './domain.ts';

export const TASK_QUEUE = 'csp-onprem';

/**
 * Download links and refund cases answer people waiting on an HTTP request (a download, a
 * decision), so they run on a queue of their own, served by its own worker slots: a backlog of
 * purchases (which callers poll for) does not queue in front of them. Purchases stay on TASK_QUEUE.
 * Workers serve every workflow type on both queues, so windows and cases started on TASK_QUEUE
 * before this split run on to their end.
 */
export const interactiveTaskQueue = (taskQueue: string) => `${taskQueue}-interactive`;

/**
 * Partner webhooks are delivered from a queue of their own: a receiver that hangs holds these
 * slots only, never one a purchase, a download or a decision is waiting for.
 */
export const webhookTaskQueue = (taskQueue: string) => `${taskQueue}-webhooks`;

export const searchAttributes = {
  orderStatus: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  partnerId: defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD),
  customerId: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
};
export const ALL_SEARCH_ATTRIBUTES = Object.values(searchAttributes);

/**
 * An order's search attributes as it starts, set by its workflow in its first task. Not also in the
 * API's start options: there the same values cost the Temporal server 0.3-0.6 CPU-ms more per start
 * (measured on the dev server, 500 starts at a time, 6 rounds), on the POST's path, for the few
 * milliseconds before the first task; an order is listed by the console and the operations API
 * (PostgreSQL) from the moment it is acknowledged.
 */
export function orderSearchAttributes(order: { partnerId: string; customerId: string }) {
  return [
    { key: searchAttributes.orderStatus, value: 'awaiting_payment' as const },
    { key: searchAttributes.partnerId, value: order.partnerId },
    { key: searchAttributes.customerId, value: order.customerId },
  ];
}

export interface PaymentEvent {
  eventId: string;
  type: PaymentEventType;
}

// Order workflow
export const paymentEventSignal = defineSignal<[PaymentEvent]>('paymentEvent');
export const orderStateQuery = defineQuery<OrderState>('orderState');

// Link lifecycle workflow
export interface DownloadRequest {
  at?: string;
}
export const countDownloadUpdate = defineUpdate<DownloadGrant, [DownloadRequest]>('countDownload');
export const revokeLinkSignal = defineSignal<[{ reason: string }]>('revokeLink');
/** A window counted in PostgreSQL granted its last download: the row says so already; the workflow may close. */
export const linkUsedUpSignal = defineSignal<[{ downloadsUsed: number }]>('linkUsedUp');
export const linkStateQuery = defineQuery<LinkState>('linkState');


// Refund case workflow
export const decideUpdate = defineUpdate<RefundCaseState, [DecisionRequest]>('decide');
export const commentSignal = defineSignal<[CommentRequest]>('comment');
export const refundCaseStateQuery = defineQuery<RefundCaseState>('refundCaseState');

// Webhook delivery workflow (one per endpoint)
/** New deliveries are waiting (or one was redelivered, or the endpoint changed): drain now. */
export const webhookWakeSignal = defineSignal('webhookWake');
