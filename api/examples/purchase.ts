// Examples of the purchase side: the catalog, customers, orders, software, keys and downloads,
// and the payment provider's webhook.
import type { Examples } from './index.ts';
import { activeLink, customer, ids, product, productKey, times, usd, variant, workflowIdOf } from './samples.ts';

const orderLine = { productId: product.id, productName: product.name, quantity: 1 };

export const purchaseExamples: Examples = {
  listProducts: {
    responses: {
      200: [
        {
          id: product.id,
          name: product.name,
          description: 'Windows Server 2022 Standard, 16-core licence pack',
          unitPrice: usd('1069.00'),
          variants: [variant, { ...variant, language: 'French' }, { ...variant, fileType: 'VHDX (x64)' }],
        },
      ],
    },
  },
  createCustomer: {
    request: { domain: 'northwind-traders.com', companyName: 'Northwind Traders' },
    responses: { 201: customer },
  },
  listCustomers: { responses: { 200: [customer, { id: '9bf31c7f-f062-4936-a6c4-0c1d2e3f4a5b', domain: 'tailspin-toys.com', companyName: 'Tailspin Toys', createdAt: '2026-11-21T08:45:12.000Z' }] } },
  getCustomer: { responses: { 200: customer } },
  createOrder: {
    request: { lineItems: [{ productId: product.id, quantity: 1 }], paymentMethod: 'pm_card_ok' },
    responses: { 202: { orderId: ids.order, status: 'awaiting_payment' } },
  },
  listCustomerOrders: {
    responses: {
      200: [
        { orderId: ids.declinedOrder, status: 'payment_failed', total: usd('3945.00'), lineItems: [{ productId: 'sql-server-2022-standard', productName: 'SQL Server 2022 Standard', quantity: 1 }], createdAt: '2026-12-01T11:12:40.000Z', failureReason: 'payment pay_7c1d0e9a is declined' },
        { orderId: ids.order, status: 'active', total: usd('1069.00'), lineItems: [orderLine], createdAt: times.placed, failureReason: null },
      ],
    },
  },
  getOrder: {
    responses: {
      200: {
        orderId: ids.order,
        customerId: ids.customer,
        status: 'active',
        paymentMethod: 'pm_card_ok',
        lineItems: [{ ...orderLine, unitPrice: usd('1069.00'), lineTotal: usd('1069.00') }],
        total: usd('1069.00'),
        subscriptions: [ids.subscription],
        failureReason: null,
        workflowId: workflowIdOf.order,
        createdAt: times.placed,
        updatedAt: times.active,
        timeline: [
          { at: times.placed, status: 'awaiting_payment', detail: 'Order placed' },
          { at: times.paid, status: 'provisioning', detail: 'Payment pay_2b8e4f1a captured; provisioning 1 item(s)' },
          { at: times.active, status: 'active', detail: '1 subscription(s) active with product keys' },
        ],
      },
    },
  },
  listSoftware: {
    responses: { 200: [{ subscriptionId: ids.subscription, orderId: ids.order, productId: product.id, productName: product.name, quantity: 1, status: 'active', purchasedAt: times.active }] },
  },
  listDownloadWindows: {
    responses: {
      200: [
        { linkId: ids.link, variant, openedAt: times.linkOpened, expiresAt: times.linkExpires, endedAt: null, status: 'active', endReason: null, downloadsUsed: 1, maxDownloads: 50, url: activeLink.url },
        { linkId: ids.endedLink, variant: { ...variant, fileType: 'VHDX (x64)' }, openedAt: '2026-11-02T10:00:00.000Z', expiresAt: '2026-11-16T10:00:00.000Z', endedAt: '2026-11-09T17:21:08.000Z', status: 'expired', endReason: 'downloads', downloadsUsed: 50, maxDownloads: 50 },
      ],
    },
  },
  getSoftware: {
    responses: {
      200: {
        subscriptionId: ids.subscription,
        orderId: ids.order,
        productId: product.id,
        productName: product.name,
        quantity: 1,
        status: 'active',
        purchasedAt: times.active,
        refundableUntil: times.refundableUntil,
        options: { versions: ['2022 (21H2)', '2022 (21H2) with updates'], languages: ['English', 'French'], fileTypes: ['ISO (x64)', 'VHDX (x64)'] },
        variants: [variant, { ...variant, language: 'French' }, { ...variant, version: '2022 (21H2) with updates' }, { ...variant, fileType: 'VHDX (x64)' }],
        productKey,
        downloadLinks: [activeLink],
      },
    },
  },
  getKeysAndDownloads: {
    request: variant,
    responses: { 200: { productKey, download: { ...activeLink, downloadsUsed: 0 } } },
  },
  receivePaymentEvent: {
    request: { eventId: 'evt_pay_81f3a2c9', orderId: ids.order, type: 'payment.succeeded' },
    responses: { 200: { received: true, duplicate: false } },
  },
};
