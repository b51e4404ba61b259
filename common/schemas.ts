// Request and response shapes of the HTTP API, defined once with zod: the routes validate with
// them and the OpenAPI document is generated from them.
import { z } from 'zod';
import {
  DECISIONS,
  IMPACTS,
  LINK_END_REASONS,
  LINK_STATUSES,
  ORDER_STATUSES,
  PAYMENT_EVENT_TYPES,
  REFUND_CASE_STATUSES,
  SUBSCRIPTION_STATUSES,
} from './domain.ts';
import { LOCAL_PAYMENT_METHODS } from '../providers/payment-methods.ts';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from './text.ts';

/**
 * A text field a caller sends: trimmed, within its length, and only characters the database can
 * store (common/text.ts), so bad text answers 422 naming the field instead of failing later.
 */
export function text(max: number, options: { min?: number; required?: string } = {}) {
  const min = options.min ?? 1;
  return z
    .string()
    .trim()
    .min(min, options.required)
    .max(max)
    .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);
}

export const uuidSchema = z.uuid();
/** A moment in an answer: UTC, ISO 8601 / RFC 3339 to the millisecond. */
export const instant = z.iso.datetime({ precision: 3 }).describe('A UTC time, ISO 8601 (RFC 3339) to the millisecond, e.g. 2026-12-02T10:00:00.000Z');

export const moneySchema = z.object({
  amount: z.string().regex(/^\d{1,10}\.\d{2}$/, 'a decimal string with two decimals, e.g. "123.45"'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code, e.g. "USD"'),
});

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a domain name such as contoso.com');

export const idempotencyKeySchema = z.string().min(1).max(255).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

export const createCustomerBody = z.strictObject({
  domain: domainName,
  companyName: text(200),
});

export const customerSchema = z.object({ id: z.uuid(), domain: z.string(), companyName: z.string(), createdAt: instant });

export const createOrderBody = z.strictObject({
  lineItems: z
    .array(z.strictObject({ productId: text(100), quantity: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(50),
  // The configured payment provider's methods (only the local provider's exist so far).
  paymentMethod: z.enum(LOCAL_PAYMENT_METHODS),
});

export const orderAcceptedSchema = z.object({ orderId: z.uuid(), status: z.enum(ORDER_STATUSES) });

export const customerOrderSchema = z.object({
  orderId: z.uuid(),
  status: z.enum(ORDER_STATUSES),
  total: moneySchema,
  lineItems: z.array(z.object({ productId: z.string(), productName: z.string(), quantity: z.number() })),
  createdAt: instant,
  failureReason: z.string().nullable(),
});

export const orderSchema = z.object({
  orderId: z.uuid(),
  customerId: z.uuid(),
  status: z.enum(ORDER_STATUSES),
  paymentMethod: z.string(),
  lineItems: z.array(
    z.object({ productId: z.string(), productName: z.string(), quantity: z.number(), unitPrice: moneySchema, lineTotal: moneySchema }),
  ),
  total: moneySchema,
  subscriptions: z.array(z.uuid()),
  failureReason: z.string().nullable(),
  workflowId: z.string(),
  createdAt: instant,
  updatedAt: instant,
  timeline: z.array(z.object({ at: instant, status: z.enum(ORDER_STATUSES), detail: z.string() })),
});

export const paymentWebhookBody = z.strictObject({
  eventId: text(200),
  orderId: z.uuid(),
  type: z.enum(PAYMENT_EVENT_TYPES),
});

export const productSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  unitPrice: moneySchema,
  variants: z.array(z.object({ version: z.string(), language: z.string(), fileType: z.string() })),
});

export const softwareListItemSchema = z.object({
  subscriptionId: z.uuid(),
  orderId: z.uuid(),
  productId: z.string(),
  productName: z.string(),
  quantity: z.number(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  purchasedAt: instant,
});

export const downloadLinkSchema = z.object({
  linkId: z.uuid(),
  url: z.string().optional(),
  version: z.string().optional(),
  language: z.string().optional(),
  fileType: z.string().optional(),
  expiresAt: instant,
  downloadsUsed: z.number(),
  maxDownloads: z.number(),
  status: z.enum(LINK_STATUSES),
  endReason: z.enum(LINK_END_REASONS).nullable().optional(),
});

export const softwareItemSchema = softwareListItemSchema.extend({
  refundableUntil: instant.describe('Until when a cancellation is inside the refund window (the purchase plus REFUND_WINDOW, default 30 days)'),
  options: z.object({ versions: z.array(z.string()), languages: z.array(z.string()), fileTypes: z.array(z.string()) }),
  variants: z.array(z.object({ version: z.string(), language: z.string(), fileType: z.string() })),
  productKey: z.string().optional(),
  downloadLinks: z.array(downloadLinkSchema),
});

export const keysAndDownloadsBody = z.strictObject({
  version: text(100),
  language: text(100),
  fileType: text(100),
});

export const keysAndDownloadsSchema = z.object({ productKey: z.string(), download: downloadLinkSchema });

export const impactSchema = z.enum(IMPACTS);

export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain', 'text/csv'] as const;
export const MAX_ATTACHMENTS = 5;
export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;

const attachmentSchema = z.strictObject({
  fileName: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\]+$/, 'a file name without path separators')
    .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE),
  contentType: z.enum(ATTACHMENT_TYPES),
  contentBase64: z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64-encoded file content')
    .refine((b64) => Math.floor((b64.length * 3) / 4) <= MAX_ATTACHMENT_BYTES + 2, `at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB per file`),
});

/** The support ticket of a cancellation, as PRODUCT.md lists it. */
export const refundCaseFilingBody = z
  .strictObject({
    customer: z.union([z.strictObject({ domain: text(253).toLowerCase() }), z.strictObject({ tenantId: z.uuid() })]),
    orderId: z.uuid().optional(),
    subscriptionId: z.uuid().optional(),
    refundReason: text(2000, { required: 'the refund reason is required' }),
    amountRequested: moneySchema.refine((m) => Number(m.amount) > 0, 'must be more than 0'),
    impact: impactSchema,
    title: text(200),
    description: text(5000, { min: 0 }).optional(),
    contact: z.strictObject({
      name: text(200),
      email: z.email(),
      phone: z.string().trim().regex(/^\+?[0-9][0-9 ().-]{5,24}$/, 'a phone number such as +1 425 555 0100'),
    }),
    attachments: z.array(attachmentSchema).max(MAX_ATTACHMENTS).optional(),
  })
  .superRefine((body, ctx) => {
    if (!body.orderId === !body.subscriptionId) {
      ctx.addIssue({ code: 'custom', path: ['orderId'], message: 'give either orderId or subscriptionId' });
    }
  });

export const refundCaseAcceptedSchema = z.object({ refundCaseId: z.uuid(), status: z.string() });

export const decisionBody = z
  .strictObject({
    decision: z.enum(DECISIONS),
    approvedAmount: z.union([moneySchema, moneySchema.shape.amount]).optional(),
    note: text(2000, { required: 'a note is required' }),
  })
  .superRefine((body, ctx) => {
    if (body.approvedAmount !== undefined && body.decision !== 'approve') {
      ctx.addIssue({ code: 'custom', path: ['approvedAmount'], message: 'only an approval has an approved amount' });
    }
  });

export const commentBody = z.strictObject({ note: text(2000, { required: 'a note is required' }) });

export const refundCaseSchema = z.object({
  refundCaseId: z.uuid(),
  partnerId: z.uuid(),
  customerId: z.uuid(),
  subscriptionId: z.uuid(),
  orderId: z.uuid(),
  status: z.enum(REFUND_CASE_STATUSES),
  issueType: z.string(),
  impact: impactSchema,
  title: z.string(),
  amountRequested: moneySchema,
  approvedAmount: moneySchema.nullable(),
  ageHours: z.number(),
  slaDueAt: instant,
  overdue: z.boolean(),
  escalatedAt: instant.nullable(),
  workflowId: z.string(),
  createdAt: instant,
  completedAt: instant.nullable(),
  /** In lists (the queue): the customer's domain and the product. */
  customerDomain: z.string().optional(),
  productName: z.string().optional(),
});
