import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Prisma } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * Migrates an empty database with the SQL under prisma/migrations and writes and reads every
 * Prisma model through the generated client, so schema.prisma and the SQL cannot drift apart.
 */
describe('database schema', () => {
  let database: TestDatabase;
  const exercised = new Set<string>();

  before(async () => {
    database = await createTestDatabase('schema');
  });
  after(async () => database?.drop());

  test('migrating twice is a no-op', async () => {
    const output = await migrate(database.url);
    assert.doesNotMatch(output, /Applying/);
  });

  test('writes and reads every model', async () => {
    const db = database.db;
    const id = () => randomUUID();
    const seen = async <T>(model: string, read: Promise<T | null>): Promise<T> => {
      const row = await read;
      assert.ok(row, `${model} row read back`);
      exercised.add(model);
      return row;
    };

    const partner = await db.partner.create({ data: { id: id(), name: 'P' } });
    await seen('Partner', db.partner.findUnique({ where: { id: partner.id } }));
    const agent = await db.agent.create({ data: { id: id(), partnerId: partner.id, name: 'A', role: 'admin_agent' } });
    await seen('Agent', db.agent.findUnique({ where: { id: agent.id } }));
    const apiKey = await db.apiKey.create({ data: { id: id(), agentId: agent.id, prefix: 'p1', secretHash: 'h' } });
    await seen('ApiKey', db.apiKey.findUnique({ where: { prefix: 'p1' } }));
    await db.consoleSession.create({ data: { id: id(), tokenHash: 'th', apiKeyId: apiKey.id, csrfToken: 'c', expiresAt: new Date(Date.now() + 60_000) } });
    await seen('ConsoleSession', db.consoleSession.findUnique({ where: { tokenHash: 'th' } }));
    const customer = await db.customer.create({ data: { id: id(), partnerId: partner.id, domain: 'c.example', companyName: 'C' } });
    await seen('Customer', db.customer.findUnique({ where: { partnerId_domain: { partnerId: partner.id, domain: 'c.example' } } }));
    await db.product.create({ data: { id: 'prod', name: 'Prod', description: 'd', unitPrice: '10.50', currency: 'USD' } });
    const product = await seen('Product', db.product.findUnique({ where: { id: 'prod' } }));
    assert.equal(product.unitPrice.toFixed(2), '10.50');
    const variant = await db.productVariant.create({ data: { id: id(), productId: 'prod', version: '1', language: 'en', fileType: 'ISO', fileName: 'f.iso', sizeBytes: 1 } });
    await seen('ProductVariant', db.productVariant.findUnique({ where: { id: variant.id } }));
    const order = await db.order.create({
      data: { id: id(), partnerId: partner.id, customerId: customer.id, status: 'awaiting_payment', paymentMethod: 'pm_card_ok', totalAmount: '21.00', currency: 'USD', workflowId: 'wf-o' },
    });
    await seen('Order', db.order.findUnique({ where: { id: order.id } }));
    const line = await db.orderLineItem.create({ data: { id: id(), orderId: order.id, position: 1, productId: 'prod', quantity: 2, unitPrice: '10.50' } });
    await seen('OrderLineItem', db.orderLineItem.findUnique({ where: { id: line.id } }));
    await db.orderEvent.create({ data: { orderId: order.id, status: 'awaiting_payment', detail: 'x', dedupeKey: 'k' } });
    await seen('OrderEvent', db.orderEvent.findFirst({ where: { orderId: order.id } }));
    const sub = await db.softwareSubscription.create({
      data: { id: id(), orderId: order.id, lineItemId: line.id, partnerId: partner.id, customerId: customer.id, productId: 'prod', quantity: 2, status: 'active' },
    });
    await seen('SoftwareSubscription', db.softwareSubscription.findUnique({ where: { id: sub.id } }));
    await db.productKey.create({ data: { id: id(), subscriptionId: sub.id, authorityKeyId: 'ak', value: 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE', status: 'active' } });
    await seen('ProductKey', db.productKey.findUnique({ where: { subscriptionId: sub.id } }));
    const link = await db.downloadLink.create({
      data: { id: id(), subscriptionId: sub.id, variantId: variant.id, tokenHash: 'th', workflowId: 'wf-l', status: 'active', maxDownloads: 50, expiresAt: new Date() },
    });
    await seen('DownloadLink', db.downloadLink.findUnique({ where: { tokenHash: 'th' } }));
    await db.downloadEvent.create({ data: { linkId: link.id, sequence: 1, clientAddress: '127.0.0.1', userAgent: 'ua' } });
    await seen('DownloadEvent', db.downloadEvent.findFirst({ where: { linkId: link.id } }));
    const refundCase = await db.refundCase.create({
      data: {
        id: id(), partnerId: partner.id, customerId: customer.id, subscriptionId: sub.id, orderId: order.id, createdByAgentId: agent.id, workflowId: 'wf-r',
        status: 'submitted', issueType: 'CSP purchase/refund on behalf of customers', impact: 'high', title: 't', customerReference: 'c.example',
        orderReference: order.id, refundReason: 'r', amountRequested: '21.00', currency: 'USD', contactName: 'n', contactEmail: 'e@x.example', contactPhone: '+1 555 0100', slaDueAt: new Date(),
      },
    });
    await seen('RefundCase', db.refundCase.findUnique({ where: { id: refundCase.id } }));
    await db.refundCaseEvent.create({ data: { caseId: refundCase.id, type: 'submitted', actorAgentId: agent.id, note: 'n', data: { a: 1 }, dedupeKey: 'k' } });
    await seen('RefundCaseEvent', db.refundCaseEvent.findFirst({ where: { caseId: refundCase.id } }));
    const content = Buffer.from('receipt');
    await db.refundCaseAttachment.create({
      data: { id: id(), caseId: refundCase.id, fileName: 'r.pdf', contentType: 'application/pdf', sizeBytes: content.length, sha256: createHash('sha256').update(content).digest('hex'), content },
    });
    const attachment = await seen('RefundCaseAttachment', db.refundCaseAttachment.findFirst({ where: { caseId: refundCase.id } }));
    assert.deepEqual(Buffer.from(attachment.content), content);
    await db.idempotencyRecord.create({ data: { agentId: agent.id, key: 'k', method: 'POST', path: '/x', requestHash: 'h', responseStatus: 202, responseBody: { ok: true } } });
    await seen('IdempotencyRecord', db.idempotencyRecord.findUnique({ where: { agentId_key: { agentId: agent.id, key: 'k' } } }));
    await db.processedWebhookEvent.create({ data: { eventId: 'evt', orderId: order.id, type: 'payment.succeeded' } });
    await seen('ProcessedWebhookEvent', db.processedWebhookEvent.findUnique({ where: { eventId: 'evt' } }));
    await db.auditEvent.create({ data: { agentId: agent.id, partnerId: partner.id, action: 'x', targetType: 'order', targetId: order.id, data: { a: 1 } } });
    await seen('AuditEvent', db.auditEvent.findFirst({ where: { targetId: order.id } }));
    await db.providerPayment.create({ data: { id: 'pay', idempotencyKey: 'ik', reference: order.id, method: 'pm_card_ok', amount: '21.00', currency: 'USD', status: 'captured' } });
    await seen('ProviderPayment', db.providerPayment.findUnique({ where: { id: 'pay' } }));
    await db.providerRefund.create({ data: { id: 're', paymentId: 'pay', idempotencyKey: 'rk', amount: '1.00' } });
    await seen('ProviderRefund', db.providerRefund.findUnique({ where: { id: 're' } }));
    await db.authorityKey.create({ data: { id: 'k1', idempotencyKey: 'ik', productId: 'prod', value: 'V', status: 'issued' } });
    await seen('AuthorityKey', db.authorityKey.findUnique({ where: { id: 'k1' } }));
    await db.partnerTicket.create({ data: { id: 't1', idempotencyKey: 'ik', issueType: 'x', title: 't', status: 'open', payload: { a: 1 } } });
    await seen('PartnerTicket', db.partnerTicket.findUnique({ where: { id: 't1' } }));
    await db.activityRetry.create({ data: { workflowId: 'wf-o', activityId: '3', activityType: 'capturePayment', workflowType: 'orderWorkflow', attempt: 3, lastError: 'e' } });
    await seen('ActivityRetry', db.activityRetry.findUnique({ where: { workflowId_activityId: { workflowId: 'wf-o', activityId: '3' } } }));
    await db.rateLimitWindow.create({ data: { key: 'requests:k', hits: 1, resetAt: new Date() } });
    await seen('RateLimitWindow', db.rateLimitWindow.findUnique({ where: { key: 'requests:k' } }));
    const endpoint = await db.webhookEndpoint.create({ data: { id: id(), partnerId: partner.id, url: 'https://hooks.example.com/', eventTypes: ['order.active'], secretSealed: 'k.x' } });
    await seen('WebhookEndpoint', db.webhookEndpoint.findUnique({ where: { id: endpoint.id } }));
    // The triggers write events; a row written directly must fit the same table.
    await db.webhookEvent.create({ data: { id: 'evt_1', partnerId: partner.id, type: 'order.active', orderingKey: customer.id, targetType: 'order', targetId: order.id, data: { a: 1 }, occurredAt: new Date() } });
    const event = await seen('WebhookEvent', db.webhookEvent.findUnique({ where: { id: 'evt_1' } }));
    await db.webhookDelivery.create({ data: { endpointId: endpoint.id, eventId: event.id, eventType: event.type, orderingKey: event.orderingKey, occurredAt: event.occurredAt, seq: event.seq, nextAttemptAt: new Date() } });
    const delivery = await seen('WebhookDelivery', db.webhookDelivery.findFirst({ where: { endpointId: endpoint.id } }));
    assert.equal(delivery.status, 'pending');
    const resumed = await db.downloadLink.update({ where: { id: link.id }, data: { resumedBytes: 5_000_000_000n } });
    assert.equal(resumed.resumedBytes, 5_000_000_000n, 'resumed bytes hold more than 32 bits');

    assert.deepEqual([...exercised].sort(), Object.values(Prisma.ModelName).sort(), 'every model in schema.prisma is exercised');
  });

  test('keeps one open download window per subscription and variant, and each download number once', async () => {
    const db = database.db;
    const link = await db.downloadLink.findFirstOrThrow();
    await assert.rejects(
      db.downloadLink.create({
        data: { id: randomUUID(), subscriptionId: link.subscriptionId, variantId: link.variantId, tokenHash: 'th2', workflowId: 'wf-l2', status: 'active', maxDownloads: 50, expiresAt: new Date() },
      }),
      /download_links_one_active_window|Unique constraint/,
    );
    await assert.rejects(
      db.downloadEvent.create({ data: { linkId: link.id, sequence: 1 } }),
      /Unique constraint/,
      'a download number is used once per window',
    );
  });
});
