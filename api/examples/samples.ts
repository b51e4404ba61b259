// One story told across every example of the OpenAPI document: Contoso Cloud Partners buys
// Windows Server for Northwind Traders, downloads it, and cancels it through a refund case. The
// same ids and times recur, so a caller can follow one purchase from operation to operation.
// test/unit/openapi-examples.test.ts checks every example against its operation's schema.

import { workflowIds } from '../../common/ids.ts';

export const BASE = 'https://csp.example.com';

export const ids = {
  partner: '5d7c1e2a-3b4f-4a6d-9e8f-0a1b2c3d4e5f',
  otherPartner: '7a1e6f52-08c4-4d1b-b2f9-3e4d5c6b7a81',
  customer: '8f14e45f-ceea-4672-a1b5-6b2f3c9d0e11',
  order: '0b6c2f6e-9a3d-4f1b-8c7e-2d5a4b3c1e90',
  declinedOrder: '3c59dc04-8e88-4e3d-9b1a-64c2f8a0d7e2',
  subscription: 'c4ca4238-a0b9-4382-8dcc-509a6f75849b',
  link: 'e4da3b7f-bbce-4345-9777-2b0674a318d5',
  endedLink: 'a87ff679-a2f3-471d-a181-a67b7542122c',
  refundCase: '1679091c-5a88-4faf-b5e6-61c1a2d3e4f5',
  adminAgent: '45c48cce-2e2d-4fbd-aa1a-fc51c7cb6b7a',
  supportAgent: 'd3d94468-02a4-4259-b55d-eb84b4f4e2c1',
  endpoint: '6512bd43-d9ca-46e0-a2c9-2f56c8a1d7b3',
  delivery: 'c20ad4d7-6fe9-4759-aa27-a0c99bff6710',
  attachment: 'c51ce410-c124-410e-8db5-e4b97fc2af39',
} as const;

export const times = {
  placed: '2026-12-01T09:30:00.000Z',
  paid: '2026-12-01T09:30:02.114Z',
  active: '2026-12-01T09:30:03.480Z',
  linkOpened: '2026-12-01T10:02:11.250Z',
  linkExpires: '2026-12-15T10:02:11.250Z',
  downloaded: '2026-12-01T10:05:42.907Z',
  refundableUntil: '2026-12-31T09:30:03.480Z',
  filed: '2026-12-02T08:15:00.000Z',
  slaDue: '2026-12-04T08:15:00.000Z',
  decided: '2026-12-02T11:40:27.512Z',
} as const;

export const workflowIdOf = { order: workflowIds.order(ids.order), refundCase: workflowIds.refundCase(ids.refundCase) };

export const usd = (amount: string) => ({ amount, currency: 'USD' });

export const product = { id: 'windows-server-2022-standard', name: 'Windows Server 2022 Standard' } as const;
export const variant = { version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' } as const;
export const customer = { id: ids.customer, domain: 'northwind-traders.com', companyName: 'Northwind Traders', createdAt: '2026-11-20T14:03:51.000Z' };
export const adminActor = { agentId: ids.adminAgent, name: 'Avery Admin', role: 'admin_agent' } as const;
export const supportActor = { agentId: ids.supportAgent, name: 'Sam Support', role: 'support_engineer' } as const;
export const productKey = 'BCDFG-HJKMP-QRTVW-XY234-6789B';
export const downloadUrl = `${BASE}/v1/downloads/q3T0mH6k1yJ8v2bWfXc9ZrLs4pNd7uAeGiKoQtVxYz0`;
export const temporalUi = (workflowId: string) => `http://localhost:8233/namespaces/default/workflows/${workflowId}`;

export const activeLink = {
  linkId: ids.link,
  url: downloadUrl,
  ...variant,
  expiresAt: times.linkExpires,
  downloadsUsed: 1,
  maxDownloads: 50,
  status: 'active',
  endReason: null,
} as const;

export const refundCaseRow = {
  refundCaseId: ids.refundCase,
  partnerId: ids.partner,
  customerId: ids.customer,
  subscriptionId: ids.subscription,
  orderId: ids.order,
  status: 'in_review',
  issueType: 'cancellation',
  impact: 'medium',
  title: 'Bought the wrong edition',
  amountRequested: usd('1069.00'),
  approvedAmount: null,
  ageHours: 3.4,
  slaDueAt: times.slaDue,
  overdue: false,
  escalatedAt: null,
  workflowId: workflowIdOf.refundCase,
  createdAt: times.filed,
  completedAt: null,
} as const;

export const webhookEndpoint = {
  id: ids.endpoint,
  url: 'https://hooks.contoso-partners.example/csp',
  events: ['order.active', 'link.expired', 'refund_case.completed'],
  description: 'Order and refund events for our billing system',
  status: 'enabled',
  disabledReason: null,
  previousSecretExpiresAt: null,
  createdAt: '2026-11-28T16:20:00.000Z',
  updatedAt: '2026-11-28T16:20:00.000Z',
} as const;

export const webhookDelivery = {
  id: ids.delivery,
  eventId: 'evt_2f1c9b7e4a6d48c0',
  eventType: 'order.active',
  status: 'failed',
  attempts: 12,
  occurredAt: times.active,
  lastAttemptAt: '2026-12-04T09:30:05.000Z',
  lastResponseStatus: 503,
  lastError: 'The receiver answered 503',
  responseExcerpt: '<html><body>Service Unavailable</body></html>',
  nextAttemptAt: null,
  deliveredAt: null,
} as const;
