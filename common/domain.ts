// Domain vocabulary shared by workflows, activities and the API. Plain types and constants only:
// workflow code imports this, so it must stay free of Node modules and I/O.

export const ROLES = ['admin_agent', 'sales_agent', 'support_engineer', 'operations'] as const;
export type Role = (typeof ROLES)[number];

export const ORDER_STATUSES = [
  'awaiting_payment',
  'provisioning',
  'active',
  'payment_failed',
  'expired',
  'failed',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const IN_FLIGHT_ORDER_STATUSES: readonly OrderStatus[] = ['awaiting_payment', 'provisioning'];
/** The ends of an order that did not become active: each has a failure reason. */
export const FAILED_ORDER_STATUSES: readonly OrderStatus[] = ['payment_failed', 'expired', 'failed'];

export const SUBSCRIPTION_STATUSES = ['active', 'cancellation_requested', 'cancelled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const LINK_STATUSES = ['active', 'expired', 'revoked'] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];
/** Why an expired window ended: its 14 days passed, or its 50 downloads were used. A revoked one has no reason. */
export const LINK_END_REASONS = ['time', 'downloads'] as const;
export type LinkEndReason = (typeof LINK_END_REASONS)[number];

export const REFUND_CASE_STATUSES = ['submitted', 'in_review', 'info_requested', 'approved', 'completed', 'rejected'] as const;
export type RefundCaseStatus = (typeof REFUND_CASE_STATUSES)[number];
const CLOSED_REFUND_CASE_STATUSES: readonly RefundCaseStatus[] = ['completed', 'rejected'];
/** A case is open until it is completed or rejected; overdue counts and the queue's default look at these. */
export const OPEN_REFUND_CASE_STATUSES = REFUND_CASE_STATUSES.filter((s) => !CLOSED_REFUND_CASE_STATUSES.includes(s));

/** How the payment provider settles an asynchronous payment (its webhook's `type`). */
export const PAYMENT_EVENT_TYPES = ['payment.succeeded', 'payment.failed'] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

export const IMPACTS = ['low', 'medium', 'high', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number];

/** Money crosses every boundary as a decimal string, never a float. */
export interface Money {
  amount: string;
  currency: string;
}

export interface OrderLineInput {
  lineItemId: string;
  position: number;
  productId: string;
  quantity: number;
  unitPrice: string;
}

export interface OrderInput {
  orderId: string;
  partnerId: string;
  customerId: string;
  createdByAgentId?: string;
  paymentMethod: string;
  total: Money;
  lineItems: OrderLineInput[];
  /** How long an asynchronous payment may stay unconfirmed before the order expires. */
  paymentConfirmationDeadlineMs: number;
}

export interface OrderState {
  orderId: string;
  status: OrderStatus;
  paymentId?: string;
  subscriptionIds: string[];
  failureReason?: string;
}

export interface LinkInput {
  linkId: string;
  subscriptionId: string;
  variantId: string;
  maxDownloads: number;
  /** Absolute end of the window (ISO time), so continue-as-new never extends it. */
  expiresAt: string;
  downloadsUsed?: number;
  /**
   * Set on every window opened since downloads are counted by PostgreSQL (db/links.ts,
   * countDownloads): its workflow counts nothing and is told when the last download was granted.
   * Absent on the windows opened before, whose workflow counts each download by an update.
   */
  countsInDatabase?: boolean;
}

export interface LinkState {
  linkId: string;
  status: LinkStatus;
  endReason?: LinkEndReason;
  /** A window counted in PostgreSQL learns its count only at its cap: until then its row holds it. */
  downloadsUsed: number;
  maxDownloads: number;
  expiresAt: string;
}

export interface DownloadGrant {
  sequence: number;
  remaining: number;
}

export const DECISIONS = ['approve', 'reject', 'request_info'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface RefundCaseInput {
  caseId: string;
  subscriptionId: string;
  orderId: string;
  title: string;
  amountRequested: Money;
  /** The order's captured payment, refunded (in part) on approval. */
  paymentId: string | null;
  slaDueAt: string;
}

export interface DecisionRequest {
  decision: Decision;
  approvedAmount?: string;
  note: string;
  agentId: string;
}

export interface CommentRequest {
  note: string;
  agentId: string;
  fromPartner: boolean;
}

export interface RefundCaseState {
  caseId: string;
  status: RefundCaseStatus;
  overdue: boolean;
  approvedAmount?: string;
  /** The steps of an approval, in the order they were carried out. */
  completedSteps: string[];
}

/** What a partner's webhook endpoint can subscribe to (the database's triggers record them). */
export const WEBHOOK_EVENT_TYPES = [
  'order.active',
  'order.payment_failed',
  'order.expired',
  'order.failed',
  'link.opened',
  'link.expiring',
  'link.expired',
  'link.revoked',
  'refund_case.submitted',
  'refund_case.info_requested',
  'refund_case.approved',
  'refund_case.rejected',
  'refund_case.completed',
  'key.revoked',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_ENDPOINT_STATUSES = ['enabled', 'disabled'] as const;
export type WebhookEndpointStatus = (typeof WEBHOOK_ENDPOINT_STATUSES)[number];
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
