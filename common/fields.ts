// The API's field vocabulary: a field that appears in many answers (an order's id, a status, a
// time) is declared here once with what it means, so every answer and request that carries it
// says the same thing in the OpenAPI document. Shapes are in schemas.ts and response-schemas.ts.
import { z } from 'zod';
import { LINK_STATUSES, ORDER_STATUSES, REFUND_CASE_STATUSES, ROLES, SUBSCRIPTION_STATUSES } from './domain.ts';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from './text.ts';

/**
 * A text field a caller sends: trimmed, within its length, and only characters the database can
 * store (common/text.ts), so bad text answers 422 naming the field instead of failing later.
 */
export function text(max: number, options: { min?: number; required?: string } = {}) {
  const min = options.min ?? 1;
  return z.string().trim().min(min, options.required).max(max).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);
}

/** A moment in an answer: UTC, ISO 8601 / RFC 3339 to the millisecond. */
export const instant = z.iso.datetime({ precision: 3 }).describe('A UTC time, ISO 8601 (RFC 3339) to the millisecond, e.g. 2026-12-02T10:00:00.000Z');
const at = (what: string) => instant.describe(`${what} (UTC, ISO 8601 to the millisecond)`);

export const moneySchema = z
  .object({
    amount: z.string().regex(/^\d{1,10}\.\d{2}$/, 'a decimal string with two decimals, e.g. "123.45"').describe('A decimal string with exactly two decimals, e.g. "1069.00" (never a float)'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code, e.g. "USD"').describe('An ISO 4217 currency code, e.g. "USD"'),
  })
  .meta({ id: 'Money', description: 'An amount of money in one currency' });

export const fields = {
  customerId: z.uuid().describe('The customer’s id (its tenant id at the partner)'),
  orderId: z.uuid().describe('The order’s id'),
  subscriptionId: z.uuid().describe('The subscription’s id: one product of an order, a row of the customer’s Software list'),
  partnerId: z.uuid().describe('The partner’s id: the cloud solution provider that sells to the customer'),
  refundCaseId: z.uuid().describe('The refund case’s id'),
  linkId: z.uuid().describe('The download window’s id'),
  productId: z.string().describe('The product’s catalog id, e.g. "windows-server-2022-standard"'),
  productName: z.string().describe('The product’s name in the catalog'),
  quantity: z.number().int().describe('How many licences'),
  customerDomain: z.string().describe('The customer’s domain, e.g. "northwind-traders.com"'),
  companyName: z.string().describe('The customer’s company name'),
  partnerName: z.string().describe('The partner’s name'),
  paymentMethod: z.string().describe('How the order is paid, one of the payment provider’s methods'),
  workflowId: z.string().describe('The id of the Temporal workflow that carries this out (search it in the Temporal Web UI)'),
  temporalUiUrl: z.string().nullable().describe('This workflow in the Temporal Web UI; null when TEMPORAL_UI_URL is not set'),
  failureReason: z.string().nullable().describe('Why the order did not become active (declined, expired unpaid, provisioning failed); null otherwise'),
  createdAt: at('When it was created'),
  updatedAt: at('When its status last changed'),
  orderStatus: z.enum(ORDER_STATUSES).describe('Where the order is: awaiting_payment and provisioning are in flight; active, payment_failed, expired, failed and cancelled are ends'),
  subscriptionStatus: z.enum(SUBSCRIPTION_STATUSES).describe('active; cancellation_requested while a refund case is open; cancelled once its key is revoked'),
  linkStatus: z.enum(LINK_STATUSES).describe('active while downloads may be served; expired after 14 days or 50 downloads; revoked when the purchase is cancelled'),
  refundCaseStatus: z.enum(REFUND_CASE_STATUSES).describe('submitted, then in_review; info_requested while it waits on the partner; approved while the refund and revocation run; completed or rejected at the end'),
  downloadsUsed: z.number().int().describe('Downloads served from this window so far'),
  maxDownloads: z.number().int().describe('Downloads a window allows (50)'),
  expiresAt: at('When the window closes by time: 14 days after it opened'),
  version: z.string().describe('The product version, one of the product’s variants, e.g. "2022 (21H2)"'),
  language: z.string().describe('The language of the installation media, e.g. "English"'),
  fileType: z.string().describe('The media’s file type, e.g. "ISO (x64)"'),
  actor: z
    .object({
      agentId: z.uuid().describe('The agent’s id'),
      name: z.string().describe('The agent’s name'),
      role: z.enum(ROLES).describe('The agent’s role'),
    })
    .nullable()
    .describe('The agent who did it; null for the system (a workflow) and for anonymous downloaders'),
  ageMinutes: z.number().describe('Minutes since it was created'),
  count: (what: string) => z.number().int().describe(what),
} as const;

/** A product's installation media: one version, language and file type. */
export const variantSchema = z
  .object({ version: fields.version, language: fields.language, fileType: fields.fileType })
  .meta({ id: 'Variant', description: 'One downloadable medium of a product: a version, a language and a file type' });
