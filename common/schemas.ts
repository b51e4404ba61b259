// Request and response shapes of the HTTP API, defined once with zod: the routes validate with
// them and the OpenAPI document is generated from them.
import { z } from 'zod';
import {
  DECISIONS,
  IMPACTS,
  LINK_END_REASONS,
  PAYMENT_EVENT_TYPES,
} from './domain.ts';
import { LOCAL_PAYMENT_METHODS } from '../providers/payment-methods.ts';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from './text.ts';
import { fields, instant, moneySchema, text, variantSchema } from './fields.ts';

export { text };

export const uuidSchema = z.uuid();
export { instant, moneySchema };

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a domain name such as contoso.com');

export const idempotencyKeySchema = z.string().min(1).max(255).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

export const createCustomerBody = z.strictObject({
  domain: domainName.describe('The customer’s domain, lower-cased; one customer per domain per partner'),
  companyName: text(200).describe('The customer’s company name'),
});

export const customerSchema = z.object({ id: fields.customerId, domain: fields.customerDomain, companyName: fields.companyName, createdAt: fields.createdAt });

export const createOrderBody = z.strictObject({
  lineItems: z
    .array(z.strictObject({ productId: text(100).describe('A product of the catalog (GET /v1/products)'), quantity: z.number().int().min(1).max(10_000).describe('How many licences, 1–10,000') }))
    .min(1)
    .max(50)
    .describe('What to buy: 1–50 lines'),
  // The configured payment provider's methods (only the local provider's exist so far).
  paymentMethod: z.enum(LOCAL_PAYMENT_METHODS).describe('How the customer pays; the local provider’s methods decide the outcome (README: payment provider)'),
});

export const orderAcceptedSchema = z.object({ orderId: fields.orderId, status: fields.orderStatus });

export const customerOrderSchema = z.object({
  orderId: fields.orderId,
  status: fields.orderStatus,
  total: moneySchema.describe('What the order costs'),
  lineItems: z.array(z.object({ productId: fields.productId, productName: fields.productName, quantity: fields.quantity })).describe('What was bought'),
  createdAt: fields.createdAt,
  failureReason: fields.failureReason,
});

export const orderSchema = z.object({
  orderId: fields.orderId,
  customerId: fields.customerId,
  status: fields.orderStatus,
  paymentMethod: fields.paymentMethod,
  lineItems: z
    .array(
      z.object({
        productId: fields.productId,
        productName: fields.productName,
        quantity: fields.quantity,
        unitPrice: moneySchema.describe('The price of one licence when the order was placed'),
        lineTotal: moneySchema.describe('unitPrice × quantity'),
      }),
    )
    .describe('What was bought, at the prices of the moment it was placed'),
  total: moneySchema.describe('The sum of the line totals'),
  subscriptions: z.array(fields.subscriptionId).describe('The subscriptions the order created, once it is active (empty before)'),
  failureReason: fields.failureReason,
  workflowId: fields.workflowId,
  createdAt: fields.createdAt,
  updatedAt: fields.updatedAt,
  timeline: z
    .array(z.object({ at: instant.describe('When the order reached this status'), status: fields.orderStatus, detail: z.string().describe('What happened, in words') }))
    .describe('Every status the order went through, oldest first'),
});

export const paymentWebhookBody = z.strictObject({
  eventId: text(200).describe('The payment provider’s event id: a second event with the same id is received and changes nothing'),
  orderId: fields.orderId,
  type: z.enum(PAYMENT_EVENT_TYPES).describe('Whether the order’s payment succeeded or failed'),
});

export const productSchema = z.object({
  id: fields.productId,
  name: fields.productName,
  description: z.string().describe('What the licence covers'),
  unitPrice: moneySchema.describe('The price of one licence'),
  variants: z.array(variantSchema).describe('Every medium the product is downloaded as'),
});

export const softwareListItemSchema = z.object({
  subscriptionId: fields.subscriptionId,
  orderId: fields.orderId.describe('The order that bought it'),
  productId: fields.productId,
  productName: fields.productName,
  quantity: fields.quantity,
  status: fields.subscriptionStatus,
  purchasedAt: instant.describe('When its order became active'),
});

export const downloadLinkSchema = z.object({
  linkId: fields.linkId,
  url: z.string().optional().describe('The download URL (the token in it is the credential); only to admin agents, only while the window is active'),
  version: fields.version.optional(),
  language: fields.language.optional(),
  fileType: fields.fileType.optional(),
  expiresAt: fields.expiresAt,
  downloadsUsed: fields.downloadsUsed,
  maxDownloads: fields.maxDownloads,
  status: fields.linkStatus,
  endReason: z.enum(LINK_END_REASONS).nullable().optional().describe('Why an expired window ended: time (14 days) or downloads (50 used); null while active or when revoked'),
});

export const softwareItemSchema = softwareListItemSchema.extend({
  refundableUntil: instant.describe('Until when a cancellation is inside the refund window (the purchase plus REFUND_WINDOW, default 30 days)'),
  options: z
    .object({
      versions: z.array(z.string()).describe('Every version offered'),
      languages: z.array(z.string()).describe('Every language offered'),
      fileTypes: z.array(z.string()).describe('Every file type offered'),
    })
    .describe('The choices of “Get keys and downloads”, each list on its own (variants says which combinations exist)'),
  variants: z.array(variantSchema).describe('The combinations that exist'),
  productKey: z.string().optional().describe('The product key; only to admin agents, once revealed with “Get keys and downloads”'),
  downloadLinks: z.array(downloadLinkSchema).describe('The download windows, newest first'),
});

export const keysAndDownloadsBody = z.strictObject({
  version: text(100).describe('One of the software’s options.versions'),
  language: text(100).describe('One of the software’s options.languages'),
  fileType: text(100).describe('One of the software’s options.fileTypes'),
});

export const keysAndDownloadsSchema = z.object({
  productKey: z.string().describe('The product key that activates the software'),
  download: downloadLinkSchema.describe('The open download window for the chosen variant: the one already open, or a new one'),
});

export const impactSchema = z.enum(IMPACTS).describe('How badly the customer is affected; with the age, it orders the support queue and sets the SLA');

export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain', 'text/csv'] as const;
export const MAX_ATTACHMENTS = 5;
export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;

const attachmentSchema = z.strictObject({
  fileName: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\]+$/, 'a file name without path separators')
    .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE)
    .describe('The file’s name, without a path'),
  contentType: z.enum(ATTACHMENT_TYPES).describe('The file’s media type'),
  contentBase64: z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64-encoded file content')
    .refine((b64) => Math.floor((b64.length * 3) / 4) <= MAX_ATTACHMENT_BYTES + 2, `at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB per file`)
    .describe(`The file, base64-encoded: at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB once decoded`),
});

/** The support ticket of a cancellation, as PRODUCT.md lists it. */
export const refundCaseFilingBody = z
  .strictObject({
    customer: z
      .union([
        z.strictObject({ domain: text(253).toLowerCase().describe('The customer’s domain') }),
        z.strictObject({ tenantId: z.uuid().describe('The customer’s id') }),
      ])
      .describe('Which customer, by domain or by tenant id: it must be the customer of the URL'),
    orderId: fields.orderId.optional().describe('The order that bought the software (give this or subscriptionId)'),
    subscriptionId: fields.subscriptionId.optional().describe('The software’s subscription id (give this or orderId); it must be the one of the URL'),
    refundReason: text(2000, { required: 'the refund reason is required' }).describe('Why the customer wants the money back'),
    amountRequested: moneySchema.refine((m) => Number(m.amount) > 0, 'must be more than 0').describe('The refund asked for: more than 0, in the order’s currency, at most what was paid and not yet refunded'),
    impact: impactSchema,
    title: text(200).describe('A one-line summary for the support queue'),
    description: text(5000, { min: 0 }).optional().describe('The full story, up to 5,000 characters'),
    contact: z
      .strictObject({
        name: text(200).describe('Who to contact about the case'),
        email: z.email().describe('Their e-mail address'),
        phone: z.string().trim().regex(/^\+?[0-9][0-9 ().-]{5,24}$/, 'a phone number such as +1 425 555 0100').describe('Their phone number, e.g. +1 425 555 0100'),
      })
      .describe('The partner’s contact for this case'),
    attachments: z.array(attachmentSchema).max(MAX_ATTACHMENTS).optional().describe(`Up to ${MAX_ATTACHMENTS} files: invoices, screenshots`),
  })
  .superRefine((body, ctx) => {
    if (!body.orderId === !body.subscriptionId) {
      ctx.addIssue({ code: 'custom', path: ['orderId'], message: 'give either orderId or subscriptionId' });
    }
  });

export const refundCaseAcceptedSchema = z.object({ refundCaseId: fields.refundCaseId, status: fields.refundCaseStatus });

export const decisionBody = z
  .strictObject({
    decision: z.enum(DECISIONS).describe('approve (refund and revoke), reject, or request_info (the case waits on the partner)'),
    approvedAmount: z
      .union([moneySchema, moneySchema.shape.amount])
      .optional()
      .describe('Only with approve: the refund, at most the amount requested (a decimal string, or an amount in the case’s currency); absent, the amount requested'),
    note: text(2000, { required: 'a note is required' }).describe('Why: shown on the case’s timeline and to the partner'),
  })
  .superRefine((body, ctx) => {
    if (body.approvedAmount !== undefined && body.decision !== 'approve') {
      ctx.addIssue({ code: 'custom', path: ['approvedAmount'], message: 'only an approval has an approved amount' });
    }
  });

export const commentBody = z.strictObject({ note: text(2000, { required: 'a note is required' }).describe('The comment, up to 2,000 characters') });

export const refundCaseSchema = z.object({
  refundCaseId: fields.refundCaseId,
  partnerId: fields.partnerId,
  customerId: fields.customerId,
  subscriptionId: fields.subscriptionId.describe('The software being cancelled'),
  orderId: fields.orderId.describe('The order that bought it'),
  status: fields.refundCaseStatus,
  issueType: z.string().describe('The kind of ticket: cancellation'),
  impact: impactSchema,
  title: z.string().describe('The one-line summary'),
  amountRequested: moneySchema.describe('The refund asked for'),
  approvedAmount: moneySchema.nullable().describe('The refund approved; null until approved'),
  ageHours: z.number().describe('Hours since it was filed'),
  slaDueAt: instant.describe('When support must have decided (REFUND_CASE_SLA after filing, default 48 hours)'),
  overdue: z.boolean().describe('Open past slaDueAt'),
  escalatedAt: instant.nullable().describe('When it was escalated for being overdue; null if not'),
  workflowId: fields.workflowId,
  createdAt: fields.createdAt.describe('When it was filed'),
  completedAt: instant.nullable().describe('When it was completed or rejected; null while open'),
  /** In lists (the queue): the customer's domain and the product. */
  customerDomain: fields.customerDomain.optional().describe('In the queue: the customer’s domain'),
  productName: fields.productName.optional().describe('In the queue: the product being cancelled'),
});
