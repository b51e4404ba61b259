import { ACCESS } from '../../../common/access.ts';
import { customerOrdersQuery } from '../../../common/list-queries.ts';
import { MAX_PAGE } from '../../../common/paging.ts';
import { uuidSchema } from '../../../common/schemas.ts';
import { problems } from '../../problem.ts';
import { allow, send, session, type ConsoleArea } from '../kit.ts';
import { orderHistoryPage, orderLive, orderPage } from '../pages/orders.ts';

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
