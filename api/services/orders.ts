import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Config } from '../../common/config.ts';
import type { OrderInput } from '../../common/domain.ts';
import { derivedIds, workflowIds } from '../../common/ids.ts';
import type { createOrderBody } from '../../common/schemas.ts';
import type { customerOrdersQuery } from '../../common/list-queries.ts';
import type { PageRequest } from '../../common/paging.ts';
import type { Order, OrderLineItem } from '../../generated/prisma/client.ts';
import { asTime, everyRow, keyset, pageOf, type Keyset } from './paging.ts';
import type { Caller } from '../auth.ts';
import { Prisma, type Db } from '../../db/client.ts';
import { createOrderWrites, FIRST_ORDER_STATUS } from '../../db/orders.ts';
import type { orderWorkflow } from '../../workflows/order.ts';
import type { Rpc } from './rpc.ts';
import { problems, type FieldError } from '../problem.ts';
import { KeyTaken, storedAnswer, type KeyClaim } from '../idempotency.ts';
import type { JsonReply } from '../reply.ts';
import type { CustomerService } from './customers.ts';
import { createProductLookup } from './products.ts';
import { partnerScope } from './scope.ts';
import { moneyOf } from '../../common/money.ts';

/** The answer to a placed order: the route's, and the one stored for a retry with its key. */
export const orderAccepted = (accepted: { orderId: string; status: string }): JsonReply => ({ status: 202, body: accepted, headers: { Location: `/v1/orders/${accepted.orderId}` } });

/**
 * How long after an order was placed a retry with its key may still start its workflow, if the
 * first request did not (it failed, or its process died, after recording the order). Well within
 * how long Temporal keeps a closed workflow's id (a day at the least), so an order whose workflow
 * ran and was since forgotten is never started twice.
 */
const RESTART_WINDOW_MS = 12 * 60 * 60_000;

type OrderWithLines = Order & { lineItems: (OrderLineItem & { product: { name: string } })[] };
const CUSTOMER_ORDERS: Keyset<OrderWithLines> = { list: 'customer-orders', field: 'createdAt', direction: 'desc', at: (o) => o.createdAt.toISOString(), id: (o) => o.id, parse: asTime };
const orderSummary = (o: OrderWithLines) => ({
  orderId: o.id,
  status: o.status,
  total: moneyOf(o.totalAmount, o.currency),
  lineItems: o.lineItems.map((l) => ({ productId: l.productId, productName: l.product.name, quantity: l.quantity })),
  createdAt: o.createdAt.toISOString(),
  failureReason: o.failureReason,
});

export function createOrderService(deps: { db: Db; temporal: Client; config: Config; customers: CustomerService; rpc: Rpc }) {
  const { db, temporal, config, customers, rpc } = deps;
  const productsById = createProductLookup(db);
  const orderWrites = createOrderWrites(db);

  /** Starts the order's workflow; one already started (running or not) is left as it is. */
  async function startWorkflow(input: OrderInput): Promise<void> {
    await rpc(() =>
      temporal.workflow.start<typeof orderWorkflow>('orderWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: workflowIds.order(input.orderId),
        args: [input],
        // One workflow per order, ever: a retry joins the running one, a finished one is never rerun.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        // No search attributes here: the workflow sets them in its first task (orderSearchAttributes).
      }),
    ).catch((err: unknown) => {
      if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return undefined;
      throw err;
    });
  }

  async function customerOrders(caller: Caller, customerId: string, query: z.infer<typeof customerOrdersQuery>) {
    const customer = await customers.get(caller, customerId);
    return (page: PageRequest) => {
      const k = keyset(CUSTOMER_ORDERS, page);
      return db.order.findMany({
        where: { customerId: customer.id, partnerId: customer.partnerId, ...(query.status ? { status: query.status } : {}), ...k.where },
        include: { lineItems: { include: { product: { select: { name: true } } }, orderBy: { position: 'asc' } } },
        orderBy: k.orderBy,
        take: k.take,
      });
    };
  }

  return {
    /**
     * Validates the order, records it and starts its purchase workflow. The order id is derived from
     * the caller and the Idempotency-Key, and the workflow id from the order id, so a retry finds the
     * same order and the same workflow: it can never start a second one or charge twice.
     */
    async create(caller: Caller, customerId: string, body: z.infer<typeof createOrderBody>, idempotencyKey: string | undefined, keyClaim?: KeyClaim) {
      const productIds = [...new Set(body.lineItems.map((l) => l.productId))];
      // Independent reads in parallel; both are usually answered from memory.
      const [customer, products] = await Promise.all([customers.get(caller, customerId), productsById(productIds)]);
      const errors: FieldError[] = [];
      body.lineItems.forEach((line, i) => {
        const product = products.get(line.productId);
        if (!product) errors.push({ path: `lineItems.${i}.productId`, message: `unknown product "${line.productId}"` });
        else if (!product.sellable) errors.push({ path: `lineItems.${i}.productId`, message: `product "${line.productId}" is not sellable` });
      });
      const currencies = new Set([...products.values()].map((p) => p.currency));
      if (currencies.size > 1) errors.push({ path: 'lineItems', message: 'all products of one order must be priced in the same currency' });
      if (errors.length) throw problems.unprocessable('Some line items cannot be ordered.', errors);

      const orderId = idempotencyKey ? derivedIds.order(caller.agentId, idempotencyKey) : randomUUID();
      let total = new Prisma.Decimal(0);
      const lineItems = body.lineItems.map((line, i) => {
        const product = products.get(line.productId)!;
        total = total.plus(product.unitPrice.times(line.quantity));
        return {
          lineItemId: derivedIds.lineItem(orderId, i + 1),
          position: i + 1,
          productId: product.id,
          quantity: line.quantity,
          unitPrice: product.unitPrice.toFixed(2),
        };
      });
      const input: OrderInput = {
        orderId,
        partnerId: customer.partnerId,
        customerId: customer.id,
        createdByAgentId: caller.agentId,
        paymentMethod: body.paymentMethod,
        total: moneyOf(total, [...currencies][0] ?? 'USD'),
        lineItems,
        paymentConfirmationDeadlineMs: config.paymentConfirmationDeadlineMs,
      };
      // Recorded first, so the order is readable the moment it is acknowledged; then started. Both
      // are idempotent on the order id, so a retry after a failure completes whatever is missing.
      // The Idempotency-Key is claimed by the same statement, with the answer (a claim the statement
      // takes is a new key, so a new order): the order is recorded only if the claim is taken, and a
      // retry that finds the answer starts the workflow first if need be (restartIfUnstarted).
      const audit = { agentId: caller.agentId, partnerId: caller.partnerId, data: { customerId, total: { ...input.total }, lines: lineItems.length } };
      const claim = keyClaim?.request && { ...keyClaim.request, answer: storedAnswer(orderAccepted({ orderId, status: FIRST_ORDER_STATUS })) };
      const recorded = await orderWrites.record({ input, audit, claim });
      if (claim && !recorded.claimed) throw new KeyTaken();
      if (claim) keyClaim!.claimed();
      await startWorkflow(input);
      return { orderId, status: recorded.status! };
    },

    /**
     * Before a retry with an order's key gets the stored answer: starts the order's workflow if the
     * first request recorded the order but may not have started it (it failed, or its process died,
     * in between). An order its workflow has moved on, or placed too long ago, is left alone.
     */
    async restartIfUnstarted(caller: Caller, idempotencyKey: string): Promise<void> {
      const order = await db.order.findUnique({ where: { id: derivedIds.order(caller.agentId, idempotencyKey) }, include: { lineItems: { orderBy: { position: 'asc' } } } });
      if (!order || order.status !== FIRST_ORDER_STATUS || Date.now() - order.createdAt.getTime() > RESTART_WINDOW_MS) return;
      await startWorkflow({
        orderId: order.id,
        partnerId: order.partnerId,
        customerId: order.customerId,
        ...(order.createdByAgentId ? { createdByAgentId: order.createdByAgentId } : {}),
        paymentMethod: order.paymentMethod,
        total: moneyOf(order.totalAmount, order.currency),
        lineItems: order.lineItems.map((l) => ({ lineItemId: l.id, position: l.position, productId: l.productId, quantity: l.quantity, unitPrice: l.unitPrice.toFixed(2) })),
        paymentConfirmationDeadlineMs: config.paymentConfirmationDeadlineMs,
      });
    },

    /** A customer's orders in every status, newest first (optionally of one status). */
    async listForCustomer(caller: Caller, customerId: string, query: z.infer<typeof customerOrdersQuery>) {
      const fetch = await customerOrders(caller, customerId, query);
      return pageOf(await fetch(query), CUSTOMER_ORDERS, query, orderSummary);
    },

    async *everyCustomerOrder(caller: Caller, customerId: string, query: z.infer<typeof customerOrdersQuery>) {
      const fetch = await customerOrders(caller, customerId, query);
      for await (const o of everyRow(async (page) => ({ rows: await fetch(page), spec: CUSTOMER_ORDERS }))) yield orderSummary(o);
    },

    async get(caller: Caller, orderId: string) {
      const order = await db.order.findFirst({
        where: { id: orderId, ...partnerScope(caller) },
        include: {
          lineItems: { include: { product: true }, orderBy: { position: 'asc' } },
          events: { orderBy: { id: 'asc' } },
          subscriptions: { select: { id: true }, orderBy: { purchasedAt: 'asc' } },
        },
      });
      if (!order) throw problems.notFound('order');
      return {
        orderId: order.id,
        customerId: order.customerId,
        status: order.status,
        paymentMethod: order.paymentMethod,
        lineItems: order.lineItems.map((l) => ({
          productId: l.productId,
          productName: l.product.name,
          quantity: l.quantity,
          unitPrice: moneyOf(l.unitPrice, order.currency),
          lineTotal: moneyOf(l.unitPrice.times(l.quantity), order.currency),
        })),
        total: moneyOf(order.totalAmount, order.currency),
        subscriptions: order.subscriptions.map((s) => s.id),
        failureReason: order.failureReason,
        workflowId: order.workflowId,
        createdAt: order.createdAt.toISOString(),
        updatedAt: order.updatedAt.toISOString(),
        timeline: order.events.map((e) => ({ at: e.at.toISOString(), status: e.status, detail: e.detail })),
      };
    },
  };
}
