// Shapes of the answers that are not a resource of common/schemas.ts: a refund case in full, the
// operations views, readiness. They document what the routes answer (OpenAPI); the services
// build these objects, and the contract test checks every status a route answers is documented.
import { z } from 'zod';
import { LINK_END_REASONS, ORDER_STATUSES, REFUND_CASE_STATUSES } from './domain.ts';
import { fields, instant, moneySchema, variantSchema } from './fields.ts';
import { refundCaseSchema } from './schemas.ts';

const actorSchema = fields.actor;
const temporalUiUrl = fields.temporalUiUrl;

export const refundCaseDetailSchema = refundCaseSchema.extend({
  partner: z.object({ id: fields.partnerId, name: fields.partnerName }).describe('The partner that filed it'),
  customer: z.object({ id: fields.customerId, domain: fields.customerDomain, companyName: fields.companyName }).describe('The customer whose software it cancels'),
  product: z.object({ id: fields.productId, name: fields.productName }).describe('The product being cancelled'),
  quantity: fields.quantity,
  amountPaid: moneySchema.describe('What the purchase of this software cost'),
  alreadyRefunded: moneySchema.describe('Refunded for this software by earlier completed cases'),
  purchasedAt: instant.describe('When the software was bought'),
  refundableUntil: instant.describe('The end of the refund window: the purchase plus REFUND_WINDOW (default 30 days)'),
  withinRefundWindow: z.boolean().describe('Whether the case was filed before refundableUntil'),
  temporalUiUrl,
  description: z.string().nullable().describe('The full story, if one was given'),
  refundReason: z.string().describe('Why the customer wants the money back'),
  customerReference: z.string().describe('How the ticket names the customer: its domain or tenant id, as filed'),
  orderReference: z.string().describe('How the ticket names the purchase: the order or subscription id, as filed'),
  externalTicketId: z.string().nullable().describe('The ticket’s id in the support system; null until it has one'),
  contact: z
    .object({ name: z.string().describe('The contact’s name'), email: z.string().describe('Their e-mail address'), phone: z.string().describe('Their phone number') })
    .describe('The partner’s contact for this case'),
  attachments: z
    .array(
      z.object({
        id: z.uuid().describe('The attachment’s id: GET /v1/refund-cases/{refundCaseId}/attachments/{id} serves it'),
        fileName: z.string().describe('The file’s name'),
        contentType: z.string().describe('The file’s media type'),
        sizeBytes: z.number().int().describe('Its size in bytes'),
        sha256: z.string().describe('The hex SHA-256 of its content'),
        createdAt: fields.createdAt.describe('When it was attached'),
      }),
    )
    .describe('The files filed with the ticket'),
  timeline: z
    .array(
      z.object({
        at: instant.describe('When it happened'),
        type: z.string().describe('What happened: submitted, in_review, comment, escalated, info_requested, approved or rejected; after an approval subscription_cancelled, links_revoked, key_revoked, refund_issued, completed'),
        note: z.string().nullable().describe('Its note, if it has one'),
        actor: actorSchema,
      }),
    )
    .describe('Everything that happened to the case, oldest first'),
});

export const commentSchema = z.object({ at: instant.describe('When it was recorded'), type: z.literal('comment').describe('Always comment'), note: z.string().nullable().describe('The comment') });

export const paymentWebhookReplySchema = z.object({
  received: z.literal(true).describe('The event is recorded: the provider may stop retrying it'),
  duplicate: z.boolean().describe('An event with this eventId was received before; this one changed nothing'),
  note: z.string().optional().describe('Why the event changed nothing, when it did not (e.g. the order had already ended)'),
});

export const operationsOrderSchema = z.object({
  orderId: fields.orderId,
  partnerId: fields.partnerId,
  partnerName: fields.partnerName,
  customerId: fields.customerId,
  status: fields.orderStatus,
  paymentMethod: fields.paymentMethod,
  total: moneySchema.describe('What the order costs'),
  ageMinutes: fields.ageMinutes,
  minutesInStatus: z.number().describe('Minutes since its status last changed'),
  failureReason: fields.failureReason,
  stuck: z.boolean().describe('In flight and unmoved for longer than STUCK_ORDER_AFTER'),
  workflowId: fields.workflowId,
  temporalUiUrl,
  createdAt: fields.createdAt,
  updatedAt: fields.updatedAt,
});

export const reconciliationSchema = z.object({
  checked: fields.count('In-flight orders compared with their workflows'),
  unreachable: fields.count('Orders whose workflow could not be asked'),
  mismatches: z
    .array(
      z.object({
        orderId: fields.orderId,
        workflowId: fields.workflowId,
        database: z.string().describe('The status in the database'),
        workflow: z.string().describe('The status the workflow reports'),
      }),
    )
    .describe('Orders whose database row and workflow disagree'),
});

export const hourlyActivitySchema = z.array(
  z.object({
    hour: instant.describe('The start of the hour'),
    orders: fields.count('Orders placed in the hour'),
    downloads: fields.count('Downloads served in the hour'),
  }),
);

export const retryingActivitySchema = z.object({
  workflowId: fields.workflowId,
  workflowType: z.string().describe('The workflow’s type, e.g. orderWorkflow'),
  activityId: z.string().describe('The activity’s id within its workflow'),
  activityType: z.string().describe('The activity’s name, e.g. provisionSubscriptions'),
  attempt: z.number().int().describe('Its attempt count so far'),
  lastError: z.string().describe('The error of its last failed attempt'),
  firstFailedAt: instant.describe('When it first failed'),
  lastFailedAt: instant.describe('When it last failed'),
  temporalUiUrl,
});

const countsOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.object(Object.fromEntries(values.map((v) => [v, z.number().describe(`${what} in ${v}`)])) as Record<T[number], z.ZodNumber>);

export const operationsSummarySchema = z.object({
  ordersByStatus: countsOf(ORDER_STATUSES, 'Orders').describe('Orders by status'),
  refundCasesByStatus: countsOf(REFUND_CASE_STATUSES, 'Refund cases').describe('Refund cases by status'),
  overdueRefundCases: fields.count('Open refund cases past their SLA'),
  retryingActivities: fields.count('Activities failing and retrying now'),
  oldestInFlightOrder: z
    .object({ orderId: fields.orderId, status: fields.orderStatus, ageMinutes: fields.ageMinutes, workflowId: fields.workflowId })
    .nullable()
    .describe('The oldest order still awaiting payment or provisioning; null when none is'),
  linksExpiringIn24h: z
    .object({
      count: fields.count('Active windows that close by time within 24 hours'),
      links: z
        .array(z.object({ linkId: fields.linkId, subscriptionId: fields.subscriptionId, expiresAt: fields.expiresAt, downloadsUsed: fields.downloadsUsed, maxDownloads: fields.maxDownloads }))
        .describe('The first of them, soonest first'),
    })
    .describe('Download windows about to close'),
  webhooks: z.object({
    backlog: z.number().describe('Deliveries due and not yet taken by their receivers'),
    scheduled: z.number().describe('Deliveries whose next attempt is later'),
    oldestDueSeconds: z.number().nullable().describe('How long the oldest due delivery has waited; null when none is due'),
    recent: z
      .object({
        windowMinutes: z.number().describe('The window these figures cover'),
        byOutcome: z.record(z.string(), z.number()).describe('Attempts by outcome (delivered, failed, …)'),
        lagSeconds: z
          .object({ p50: z.number().nullable().describe('Median seconds from event to delivery'), p99: z.number().nullable().describe('99th percentile') })
          .describe('From event to delivery; null without deliveries'),
      })
      .describe('Deliveries of the last minutes'),
    failingEndpoints: z
      .array(
        z.object({
          endpointId: z.uuid().describe('The webhook endpoint’s id'),
          partnerId: fields.partnerId,
          partnerName: fields.partnerName,
          url: z.string().describe('Where it receives'),
          pending: fields.count('Its deliveries not yet delivered'),
          failingSince: instant.describe('Since when its deliveries fail'),
          lastError: z.string().nullable().describe('Its last error'),
          lastResponseStatus: z.number().int().nullable().describe('The HTTP status of its last answer; null when it did not answer'),
        }),
      )
      .describe('Endpoints whose deliveries keep failing'),
  }).describe('Partner webhook deliveries'),
});

const dependency = z.enum(['up', 'down']);
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']).describe('ready when every dependency answers'),
  checks: z.object({ database: dependency.describe('PostgreSQL'), temporal: dependency.describe('The Temporal frontend') }).describe('Each dependency'),
});
export const livenessSchema = z.object({ status: z.literal('ok').describe('The process answers') });

export const linkHistorySchema = z.object({
  linkId: fields.linkId,
  variant: variantSchema,
  openedAt: instant.describe('When the window was opened'),
  expiresAt: fields.expiresAt,
  endedAt: instant.nullable().describe('When it ended; null while active'),
  status: fields.linkStatus,
  endReason: z.enum([...LINK_END_REASONS, 'revoked']).nullable().describe('Why it ended: time (14 days), downloads (50 used) or revoked (cancelled); null while active'),
  downloadsUsed: fields.downloadsUsed,
  maxDownloads: fields.maxDownloads,
  url: z.url().optional().describe('The download URL; only to admin agents, only while active'),
});

export const auditEventSchema = z.object({
  id: z.string().describe('The event’s id; events are ordered by time, then id'),
  at: instant.describe('When the action happened'),
  action: z.string().describe('What was done, e.g. order.create, product_key.reveal, download_link.open, download.refuse, refund_case.file, refund_case.comment, webhook_endpoint.create'),
  actor: actorSchema,
  target: z.object({ type: z.string().describe('The kind of thing acted on, e.g. order, subscription, refund_case'), id: z.string().describe('Its id') }).describe('What was acted on'),
  partnerId: fields.partnerId.nullable().describe('The partner whose data it is; null for actions of no partner'),
  data: z.unknown().describe('The action’s own facts (never a secret: no key, token or API key)'),
});

export const activityEntrySchema = z.object({
  at: instant.describe('When it happened'),
  type: z.string().describe('What happened: order.placed, key.revealed, link.opened, download.served, download.refused, link.expired, link.revoked, cancellation.filed, refund_case.decided, key.revoked, refund.issued'),
  actor: actorSchema,
  detail: z.string().describe('What happened, in words'),
  client: z
    .object({
      address: z.string().nullable().describe('The downloader’s address, truncated to its /24 (IPv4) or /48 (IPv6)'),
      userAgent: z.string().nullable().describe('The downloader’s User-Agent'),
    })
    .optional()
    .describe('For downloads: who downloaded'),
});
