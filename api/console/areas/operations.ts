import { z } from 'zod';
import { ACCESS } from '../../../common/access.ts';
import { MAX_PAGE } from '../../../common/paging.ts';
import { allow, send, session, type ConsoleArea } from '../kit.ts';
import { ORDER_STATUSES } from '../../../common/domain.ts';
import { dashboardCards, dashboardPage, endedOrdersPage } from '../pages/operations.ts';

/** Operations' area: the dashboard. */
export function operationsArea({ router, config, services }: ConsoleArea): void {
  router.get('/operations', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const requested = z.coerce.number().int().min(0).max(100_000).safeParse(req.query.stuckAfterMinutes);
    const stuckAfterMinutes = requested.success && req.query.stuckAfterMinutes !== '' ? requested.data : Math.round(config.stuckOrderAfterMs / 60_000);
    const stuckAfterMs = stuckAfterMinutes * 60_000;
    const [summary, stuck, inFlight, activity] = await Promise.all([
      services.operations.summary(),
      services.operations.orders({ stuck: 'true', limit: MAX_PAGE }, stuckAfterMs),
      services.operations.orders({ limit: MAX_PAGE }, stuckAfterMs),
      services.operations.activity(24),
    ]);
    send(res, 200, dashboardPage(session(res), { summary, stuck: stuck.items, inFlight: inFlight.items, activity, stuckAfterMinutes }));
  });

  // The dashboard's counts again, for console.js's refresh.
  router.get('/operations/cards', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const requested = z.coerce.number().int().min(0).max(100_000).safeParse(req.query.stuckAfterMinutes);
    const stuckAfterMinutes = requested.success && req.query.stuckAfterMinutes !== '' ? requested.data : Math.round(config.stuckOrderAfterMs / 60_000);
    const [summary, stuck] = await Promise.all([services.operations.summary(), services.operations.orders({ stuck: 'true', limit: MAX_PAGE }, stuckAfterMinutes * 60_000)]);
    res.setHeader('Cache-Control', 'no-store');
    send(res, 200, dashboardCards({ summary, stuck: stuck.items, stuckAfterMinutes }));
  });

  // Where the failed, expired and payment-failed counts lead: those orders, with why.
  router.get('/operations/orders', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const status = z.enum(ORDER_STATUSES).safeParse(req.query.status);
    if (!status.success) return void res.redirect(303, '/console/operations');
    const orders = await services.operations.orders({ status: status.data, limit: MAX_PAGE });
    send(res, 200, endedOrdersPage(session(res), status.data, orders.items));
  });
}
