import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { ACCESS } from '../../../common/access.ts';
import { LOCAL_PAYMENT_METHODS } from '../../../providers/payment-methods.ts';
import { HttpProblem } from '../../problem.ts';
import { customerOrdersQuery } from '../../../common/list-queries.ts';
import { MAX_PAGE } from '../../../common/paging.ts';
import { uuidSchema } from '../../../common/schemas.ts';
import { problems } from '../../problem.ts';
import { allow, field, send, session, type ConsoleArea } from '../kit.ts';
import { orderHistoryPage, orderLive, orderPage, purchasePage, type PurchaseForm } from '../pages/orders.ts';

/** Partner agents' orders: a customer's order history and one order's page, which follows it while in flight. */
export function orderArea({ router, services }: ConsoleArea): void {
  router.get('/customers/:customerId/orders', allow(ACCESS.partnerStaff, 'open a customer’s orders'), async (req, res) => {
    if (!uuidSchema.safeParse(req.params.customerId).success) throw problems.notFound('customer');
    const caller = session(res).caller;
    const customer = services.customers.view(await services.customers.get(caller, String(req.params.customerId)));
    const status = typeof req.query.status === 'string' && req.query.status !== '' ? req.query.status : undefined;
    const query = customerOrdersQuery.safeParse({ limit: MAX_PAGE, ...(status ? { status } : {}) });
    // A filter that names no status is said, not silently dropped.
    if (!query.success) {
      const all = await services.orders.listForCustomer(caller, customer.id, { limit: MAX_PAGE });
      return send(res, 422, orderHistoryPage(session(res), customer, all.items, { invalid: `“${status}” is not an order status; showing every order.` }));
    }
    const orders = await services.orders.listForCustomer(caller, customer.id, query.data);
    send(res, 200, orderHistoryPage(session(res), customer, orders.items, { status }));
  });

  const customerOf = async (req: Request, res: Response) => {
    if (!uuidSchema.safeParse(req.params.customerId).success) throw problems.notFound('customer');
    return services.customers.view(await services.customers.get(session(res).caller, String(req.params.customerId)));
  };
  const buyPage = async (res: Response, status: number, customer: Awaited<ReturnType<typeof customerOf>>, idempotencyKey: string, form?: PurchaseForm) => {
    const products = (await services.catalog.list({ limit: MAX_PAGE })).items;
    send(res, status, purchasePage(session(res), customer, products, LOCAL_PAYMENT_METHODS, idempotencyKey, form));
  };

  // Each form carries its own Idempotency-Key: a double click, a resubmit or a retry after a lost
  // answer places the one order, exactly as an API caller's retry does.
  router.get('/customers/:customerId/buy', allow(ACCESS.partnerStaff, 'place orders'), async (req, res) => {
    await buyPage(res, 200, await customerOf(req, res), randomUUID());
  });
  router.post('/customers/:customerId/buy', allow(ACCESS.partnerStaff, 'place orders'), async (req, res) => {
    const customer = await customerOf(req, res);
    const body = req.body as Record<string, unknown>;
    const quantities = Object.fromEntries(Object.entries(body).filter(([k]) => k.startsWith('qty-')).map(([k, v]) => [k.slice(4), String(v)]));
    const paymentMethod = field(req, 'paymentMethod');
    const idempotencyKey = field(req, 'idempotencyKey') || randomUUID();
    const form = { quantities, paymentMethod };
    const bad = Object.entries(quantities).filter(([, v]) => !/^\d{1,5}$/.test(v.trim()));
    if (bad.length) return buyPage(res, 422, customer, idempotencyKey, { ...form, errors: [{ path: 'products', message: 'Each quantity is a whole number from 0 to 10,000.' }] });
    const lineItems = Object.entries(quantities).filter(([, v]) => Number(v) > 0).map(([productId, v]) => ({ productId, quantity: Number(v) }));
    if (lineItems.length === 0) return buyPage(res, 422, customer, idempotencyKey, { ...form, errors: [{ path: 'products', message: 'Choose at least one product: give it a quantity of 1 or more.' }] });
    if (!(LOCAL_PAYMENT_METHODS as readonly string[]).includes(paymentMethod)) return buyPage(res, 422, customer, idempotencyKey, { ...form, errors: [{ path: 'paymentMethod', message: 'Choose a payment method from the list.' }] });
    try {
      const placed = await services.orders.create(session(res).caller, customer.id, { lineItems, paymentMethod: paymentMethod as (typeof LOCAL_PAYMENT_METHODS)[number] }, idempotencyKey);
      res.redirect(303, `/console/orders/${placed.orderId}?done=placed`);
    } catch (err) {
      if (err instanceof HttpProblem && err.status === 422) return buyPage(res, 422, customer, idempotencyKey, { ...form, errors: [{ path: 'products', message: err.detail }] });
      throw err;
    }
  });

  const orderOf = async (orderId: string, caller: Parameters<typeof services.orders.get>[0]) => {
    if (!uuidSchema.safeParse(orderId).success) throw problems.notFound('order');
    return services.orders.get(caller, orderId);
  };
  router.get('/orders/:orderId', allow(ACCESS.partnerStaff, 'open an order'), async (req, res) => {
    const order = await orderOf(String(req.params.orderId), session(res).caller);
    send(res, 200, orderPage(session(res), order, req.query.done === 'placed' ? 'The order was placed.' : undefined));
  });
  // What console.js fetches every few seconds while the order is in flight.
  router.get('/orders/:orderId/live', allow(ACCESS.partnerStaff, 'open an order'), async (req, res) => {
    const order = await orderOf(String(req.params.orderId), session(res).caller);
    res.setHeader('Cache-Control', 'no-store');
    send(res, 200, orderLive(order));
  });
}
