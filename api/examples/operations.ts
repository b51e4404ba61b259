// Examples of partner webhooks, the operations views, the codec server and the health probes.
import type { Examples } from './index.ts';
import { ids, temporalUi, times, usd, webhookDelivery, webhookEndpoint, workflowIdOf } from './samples.ts';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
// A payload as the Web UI holds it: the codec turns `binary/encrypted` into `json/plain` and back.
const encrypted = { metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==', 'encryption-key-id': 'azE=' }, data: 'q83vEjRWeJq8/wEjRWeJqw==' };
const decoded = { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJvcmRlcklkIjoiMGI2YzJmNmUifQ==' };

export const operationsExamples: Examples = {
  createWebhookEndpoint: {
    request: { url: webhookEndpoint.url, events: webhookEndpoint.events, description: webhookEndpoint.description },
    responses: { 201: { ...webhookEndpoint, secret } },
  },
  listWebhookEndpoints: { responses: { 200: [webhookEndpoint] } },
  getWebhookEndpoint: { responses: { 200: webhookEndpoint } },
  disableWebhookEndpoint: {
    request: {},
    responses: { 200: { ...webhookEndpoint, status: 'disabled', disabledReason: 'Disabled by Avery Admin', updatedAt: '2026-12-02T09:00:00.000Z' } },
  },
  enableWebhookEndpoint: { request: {}, responses: { 200: { ...webhookEndpoint, updatedAt: '2026-12-02T09:10:00.000Z' } } },
  rotateWebhookSecret: {
    request: {},
    responses: { 200: { ...webhookEndpoint, secret: 'whsec_2xQvC7Jb0aYgLZ1e9p3nTfRk8sWmHd4u', previousSecretExpiresAt: '2026-12-03T09:20:00.000Z', updatedAt: '2026-12-02T09:20:00.000Z' } },
  },
  listWebhookDeliveries: {
    responses: {
      200: [
        webhookDelivery,
        { ...webhookDelivery, id: 'aab32389-22bc-4c0e-8f6f-6c9d2b1a0e3f', eventId: 'evt_9a0e7d3c51b24f68', eventType: 'link.expired', status: 'delivered', attempts: 1, occurredAt: times.linkExpires, lastAttemptAt: '2026-12-15T10:02:12.004Z', lastResponseStatus: 204, lastError: null, responseExcerpt: '', deliveredAt: '2026-12-15T10:02:12.004Z' },
      ],
    },
  },
  redeliverWebhook: { request: {}, responses: { 202: { ...webhookDelivery, status: 'pending', nextAttemptAt: '2026-12-04T10:00:00.000Z' } } },
  listOperationsOrders: {
    responses: {
      200: [
        {
          orderId: ids.order,
          partnerId: ids.partner,
          partnerName: 'Contoso Cloud Partners',
          customerId: ids.customer,
          status: 'provisioning',
          paymentMethod: 'pm_card_ok',
          total: usd('1069.00'),
          ageMinutes: 42,
          minutesInStatus: 41,
          failureReason: null,
          stuck: true,
          workflowId: workflowIdOf.order,
          temporalUiUrl: temporalUi(workflowIdOf.order),
          createdAt: times.placed,
          updatedAt: times.paid,
        },
      ],
    },
  },
  listRetryingActivities: {
    responses: {
      200: [
        {
          workflowId: workflowIdOf.order,
          workflowType: 'orderWorkflow',
          activityId: '7',
          activityType: 'issueProductKey',
          attempt: 9,
          lastError: 'connect ECONNREFUSED 10.0.4.12:443 (key authority)',
          firstFailedAt: '2026-12-01T09:30:04.000Z',
          lastFailedAt: '2026-12-01T10:11:40.000Z',
          temporalUiUrl: temporalUi(workflowIdOf.order),
        },
      ],
    },
  },
  getReconciliation: { responses: { 200: { checked: 118, unreachable: 0, mismatches: [{ orderId: ids.order, workflowId: workflowIdOf.order, database: 'provisioning', workflow: 'active' }] } } },
  getHourlyActivity: {
    responses: {
      200: [
        { hour: '2026-12-01T09:00:00.000Z', orders: 14, downloads: 31 },
        { hour: '2026-12-01T10:00:00.000Z', orders: 9, downloads: 47 },
      ],
    },
  },
  getOperationsSummary: {
    responses: {
      200: {
        ordersByStatus: { awaiting_payment: 3, provisioning: 1, active: 412, payment_failed: 17, expired: 5, failed: 0, cancelled: 8 },
        refundCasesByStatus: { submitted: 0, in_review: 4, info_requested: 1, approved: 0, completed: 8, rejected: 2 },
        overdueRefundCases: 1,
        retryingActivities: 1,
        oldestInFlightOrder: { orderId: ids.order, status: 'provisioning', ageMinutes: 42, workflowId: workflowIdOf.order },
        linksExpiringIn24h: { count: 1, links: [{ linkId: ids.link, subscriptionId: ids.subscription, expiresAt: times.linkExpires, downloadsUsed: 3, maxDownloads: 50 }] },
        webhooks: {
          backlog: 2,
          scheduled: 5,
          oldestDueSeconds: 4,
          recent: { windowMinutes: 60, byOutcome: { delivered: 57, retry: 6, failed: 1 }, lagSeconds: { p50: 0.4, p99: 3.1 } },
          failingEndpoints: [
            { endpointId: ids.endpoint, partnerId: ids.partner, partnerName: 'Contoso Cloud Partners', url: webhookEndpoint.url, pending: 5, failingSince: '2026-12-01T08:00:00.000Z', lastError: 'The receiver answered 503', lastResponseStatus: 503 },
          ],
        },
      },
    },
  },
  decodePayloads: { request: { payloads: [encrypted] }, responses: { 200: { payloads: [decoded] } } },
  encodePayloads: { request: { payloads: [decoded] }, responses: { 200: { payloads: [encrypted] } } },
  getLiveness: { responses: { 200: { status: 'ok' } } },
  getReadiness: {
    responses: {
      200: { status: 'ready', checks: { database: 'up', temporal: 'up' } },
      503: { status: 'not_ready', checks: { database: 'up', temporal: 'down' } },
    },
  },
};
