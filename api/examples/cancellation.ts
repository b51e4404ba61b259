// Examples of the cancellation side (the refund case, its decision and comments) and of the
// trail (a subscription's activity, the audit events).
import type { Examples } from './index.ts';
import { adminActor, customer, ids, product, refundCaseRow, supportActor, temporalUi, times, usd, workflowIdOf } from './samples.ts';

const caseDetail = {
  ...refundCaseRow,
  partner: { id: ids.partner, name: 'Contoso Cloud Partners' },
  customer: { id: customer.id, domain: customer.domain, companyName: customer.companyName },
  product,
  quantity: 1,
  amountPaid: usd('1069.00'),
  alreadyRefunded: usd('0.00'),
  purchasedAt: times.active,
  refundableUntil: times.refundableUntil,
  withinRefundWindow: true,
  temporalUiUrl: temporalUi(workflowIdOf.refundCase),
  description: 'The customer needs Datacenter for unlimited virtual machines; Standard was ordered by mistake.',
  refundReason: 'Ordered the wrong edition',
  customerReference: customer.domain,
  orderReference: ids.order,
  externalTicketId: 'TCK-20261202-0042',
  contact: { name: 'Dana Partner', email: 'dana@contoso-partners.example', phone: '+1 425 555 0100' },
  attachments: [{ id: ids.attachment, fileName: 'invoice-INV-1042.pdf', contentType: 'application/pdf', sizeBytes: 48213, sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', createdAt: times.filed }],
  timeline: [
    { at: times.filed, type: 'submitted', note: 'Ordered the wrong edition', actor: adminActor },
    { at: '2026-12-02T08:15:01.204Z', type: 'in_review', note: 'Partner ticket TCK-20261202-0042 opened; waiting for a support decision.', actor: null },
  ],
};

const approved = {
  ...caseDetail,
  status: 'completed',
  approvedAmount: usd('1069.00'),
  completedAt: '2026-12-02T11:40:31.090Z',
  timeline: [
    ...caseDetail.timeline,
    { at: times.decided, type: 'approved', note: 'Wrong edition, within the refund window: full refund.', actor: supportActor },
    { at: '2026-12-02T11:40:28.020Z', type: 'subscription_cancelled', note: 'The subscription is cancelled.', actor: null },
    { at: '2026-12-02T11:40:28.611Z', type: 'links_revoked', note: 'Every download link of the software is revoked.', actor: null },
    { at: '2026-12-02T11:40:29.870Z', type: 'key_revoked', note: 'The product key is revoked at the key authority.', actor: null },
    { at: '2026-12-02T11:40:30.950Z', type: 'refund_issued', note: 'Refund of 1069.00 USD issued.', actor: null },
    { at: '2026-12-02T11:40:31.090Z', type: 'completed', note: 'Cancellation complete: key revoked, links revoked, refund issued.', actor: null },
  ],
};

export const cancellationExamples: Examples = {
  fileCancellation: {
    request: {
      customer: { domain: customer.domain },
      subscriptionId: ids.subscription,
      refundReason: 'Ordered the wrong edition',
      amountRequested: usd('1069.00'),
      impact: 'medium',
      title: 'Bought the wrong edition',
      description: caseDetail.description,
      contact: caseDetail.contact,
      attachments: [{ fileName: 'invoice-INV-1042.pdf', contentType: 'application/pdf', contentBase64: 'JVBERi0xLjQKJcfsj6IK' }],
    },
    responses: { 202: { refundCaseId: ids.refundCase, status: 'submitted' } },
  },
  listRefundCases: { responses: { 200: [{ ...refundCaseRow, customerDomain: customer.domain, productName: product.name }] } },
  getRefundCase: { responses: { 200: caseDetail } },
  decideRefundCase: {
    request: { decision: 'approve', approvedAmount: '1069.00', note: 'Wrong edition, within the refund window: full refund.' },
    responses: {
      200: approved,
      202: { ...caseDetail, status: 'approved', approvedAmount: usd('1069.00'), timeline: approved.timeline.slice(0, 3) },
    },
  },
  commentOnRefundCase: {
    request: { note: 'Customer confirmed by phone that the media was never installed.' },
    responses: { 201: { at: '2026-12-02T10:05:00.000Z', type: 'comment', note: 'Customer confirmed by phone that the media was never installed.' } },
  },
  getSoftwareActivity: {
    responses: {
      200: [
        { at: times.placed, type: 'order.placed', actor: adminActor, detail: `Order ${ids.order} placed (1069.00 USD).` },
        { at: times.linkOpened, type: 'key.revealed', actor: adminActor, detail: 'The product key was shown.' },
        { at: times.linkOpened, type: 'link.opened', actor: adminActor, detail: 'A download window was opened for 2022 (21H2) / English / ISO (x64).' },
        { at: times.downloaded, type: 'download.served', actor: null, detail: 'Download 1 of the window was served.', client: { address: '203.0.113.0/24', userAgent: 'curl/8.5.0' } },
        { at: times.filed, type: 'cancellation.filed', actor: adminActor, detail: 'Cancellation filed: Ordered the wrong edition' },
      ],
    },
  },
  listAuditEvents: {
    responses: {
      200: [
        {
          id: '000000000000000042',
          at: times.linkOpened,
          action: 'product_key.reveal',
          actor: adminActor,
          target: { type: 'subscription', id: ids.subscription },
          partnerId: ids.partner,
          data: { customerId: ids.customer },
        },
        {
          id: '000000000000000043',
          at: times.filed,
          action: 'refund_case.file',
          actor: adminActor,
          target: { type: 'refund_case', id: ids.refundCase },
          partnerId: ids.partner,
          data: { subscriptionId: ids.subscription, amountRequested: usd('1069.00') },
        },
      ],
    },
  },
};
