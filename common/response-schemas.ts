// Shapes of the answers that are not a resource of common/schemas.ts: a refund case in full, the
// operations views, readiness. They document what the routes answer (OpenAPI); the services
// build these objects, and the contract test checks every status a route answers is documented.
import { z } from 'zod';
import { LINK_END_REASONS, LINK_STATUSES, ORDER_STATUSES, REFUND_CASE_STATUSES, ROLES } from './domain.ts';
import { instant, moneySchema, refundCaseSchema } from './schemas.ts';

const actorSchema = z.object({ agentId: z.uuid(), name: z.string(), role: z.enum(ROLES) }).nullable();

export const refundCaseDetailSchema = refundCaseSchema.extend({
  partner: z.object({ id: z.uuid(), name: z.string() }),
  customer: z.object({ id: z.uuid(), domain: z.string(), companyName: z.string() }),
  product: z.object({ id: z.string(), name: z.string() }),
  quantity: z.number().int(),
  amountPaid: moneySchema.describe('What the purchase of this software cost'),
  alreadyRefunded: moneySchema.describe('Refunded for this software by earlier completed cases'),
  purchasedAt: instant,
  refundableUntil: instant.describe('The end of the refund window: the purchase plus REFUND_WINDOW (default 30 days)'),
  withinRefundWindow: z.boolean().describe('Whether the case was filed before refundableUntil'),
  temporalUiUrl: z.string().nullable(),
  escalatedAt: instant.nullable(),
  workflowId: z.string(),
  completedAt: instant.nullable(),
  description: z.string().nullable(),
  refundReason: z.string(),
  customerReference: z.string(),
  orderReference: z.string(),
  externalTicketId: z.string().nullable(),
  contact: z.object({ name: z.string(), email: z.string(), phone: z.string() }),
  attachments: z.array(z.object({ id: z.uuid(), fileName: z.string(), contentType: z.string(), sizeBytes: z.number(), sha256: z.string(), createdAt: instant })),
  timeline: z.array(z.object({ at: instant, type: z.string(), note: z.string().nullable(), actor: actorSchema })),
});

export const commentSchema = z.object({ at: instant, type: z.literal('comment'), note: z.string().nullable() });

export const paymentWebhookReplySchema = z.object({ received: z.literal(true), duplicate: z.boolean(), note: z.string().optional() });

export const operationsOrderSchema = z.object({
  orderId: z.uuid(),
  partnerId: z.uuid(),
  partnerName: z.string(),
  customerId: z.uuid(),
  status: z.enum(ORDER_STATUSES),
  paymentMethod: z.string(),
  total: moneySchema,
  ageMinutes: z.number(),
  minutesInStatus: z.number(),
  failureReason: z.string().nullable(),
  stuck: z.boolean(),
  workflowId: z.string(),
  temporalUiUrl: z.string().nullable(),
  createdAt: instant,
  /** When the order's status last changed. */
  updatedAt: instant,
});

export const reconciliationSchema = z.object({
  checked: z.number(),
  unreachable: z.number(),
  mismatches: z.array(z.object({ orderId: z.uuid(), workflowId: z.string(), database: z.string(), workflow: z.string() })),
});

export const hourlyActivitySchema = z.array(z.object({ hour: instant, orders: z.number(), downloads: z.number() }));

export const retryingActivitySchema = z.object({
  workflowId: z.string(),
  workflowType: z.string(),
  activityId: z.string(),
  activityType: z.string(),
  attempt: z.number(),
  lastError: z.string(),
  firstFailedAt: instant,
  lastFailedAt: instant,
  temporalUiUrl: z.string().nullable(),
});

const countsOf = <T extends readonly [string, ...string[]]>(values: T) => z.object(Object.fromEntries(values.map((v) => [v, z.number()])) as Record<T[number], z.ZodNumber>);

export const operationsSummarySchema = z.object({
  ordersByStatus: countsOf(ORDER_STATUSES),
  refundCasesByStatus: countsOf(REFUND_CASE_STATUSES),
  overdueRefundCases: z.number(),
  retryingActivities: z.number(),
  oldestInFlightOrder: z.object({ orderId: z.uuid(), status: z.enum(ORDER_STATUSES), ageMinutes: z.number(), workflowId: z.string() }).nullable(),
  linksExpiringIn24h: z.object({
    count: z.number(),
    links: z.array(z.object({ linkId: z.uuid(), subscriptionId: z.uuid(), expiresAt: instant, downloadsUsed: z.number(), maxDownloads: z.number() })),
  }),
  webhooks: z.object({
    backlog: z.number().describe('Deliveries due and not yet taken by their receivers'),
    scheduled: z.number().describe('Deliveries whose next attempt is later'),
    oldestDueSeconds: z.number().nullable(),
    recent: z.object({ windowMinutes: z.number(), byOutcome: z.record(z.string(), z.number()), lagSeconds: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }) }),
    failingEndpoints: z.array(
      z.object({ endpointId: z.uuid(), partnerId: z.uuid(), partnerName: z.string(), url: z.string(), pending: z.number(), failingSince: instant, lastError: z.string().nullable(), lastResponseStatus: z.number().nullable() }),
    ),
  }),
});

const dependency = z.enum(['up', 'down']);
export const readinessSchema = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ database: dependency, temporal: dependency }) });
export const livenessSchema = z.object({ status: z.literal('ok') });

export const linkHistorySchema = z.object({
  linkId: z.uuid(),
  variant: z.object({ version: z.string(), language: z.string(), fileType: z.string() }),
  openedAt: instant,
  expiresAt: instant,
  endedAt: instant.nullable(),
  status: z.enum(LINK_STATUSES),
  endReason: z.enum([...LINK_END_REASONS, 'revoked']).nullable(),
  downloadsUsed: z.number().int(),
  maxDownloads: z.number().int(),
  url: z.url().optional(),
});

export const auditEventSchema = z.object({
  id: z.string(),
  at: instant,
  action: z.string(),
  actor: actorSchema,
  target: z.object({ type: z.string(), id: z.string() }),
  partnerId: z.uuid().nullable(),
  data: z.unknown(),
});

export const activityEntrySchema = z.object({
  at: instant,
  type: z.string(),
  actor: actorSchema,
  detail: z.string(),
  client: z.object({ address: z.string().nullable(), userAgent: z.string().nullable() }).optional(),
});
