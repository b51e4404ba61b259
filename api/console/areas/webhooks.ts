import type { Request, Response } from 'express';
import { ACCESS } from '../../../common/access.ts';
import { webhookEndpointBody } from '../../../common/webhook-schemas.ts';
import { uuidSchema } from '../../../common/schemas.ts';
import { HttpProblem, problems, zodErrors } from '../../problem.ts';
import { allow, field, send, session, type ConsoleArea } from '../kit.ts';
import { deleteEndpointPage, webhookEndpointPage, webhooksPage } from '../pages/webhooks.ts';

const SECRET_COOKIE = 'csp_webhook_secret';
const DONE: Record<string, string> = {
  created: 'The endpoint was added. Events are sent to it from now on.',
  rotated: 'A new secret signs from now on; the previous one also signs for 24 hours.',
  disabled: 'The endpoint is disabled: its events wait until it is enabled again.',
  enabled: 'The endpoint is enabled: waiting events are on their way.',
  redelivered: 'The delivery is on its way again.',
  deleted: 'The endpoint and its deliveries were deleted.',
};

/** A partner admin's Webhooks: endpoints, the secret shown once, recent deliveries and redelivery. */
export function webhookArea({ router, services }: ConsoleArea): void {
  const may = allow(ACCESS.manageWebhooks, 'manage webhooks');
  const idOf = (req: Request) => {
    const id = uuidSchema.safeParse(req.params.endpointId);
    if (!id.success) throw problems.notFound('webhook endpoint');
    return id.data;
  };
  const notice = (req: Request) => (typeof req.query.done === 'string' && DONE[req.query.done] ? { kind: 'success' as const, text: DONE[req.query.done]! } : undefined);
  // Post/redirect/get: the secret rides to the page in a sealed, short-lived cookie of that page only.
  const showSecretOnce = (req: Request, res: Response, endpointId: string, secret: string, done: string) => {
    res.cookie(SECRET_COOKIE, services.webhooks.sealForDisplay(secret), { httpOnly: true, sameSite: 'strict', secure: req.secure, path: `/console/webhooks/${endpointId}`, maxAge: 120_000 });
    res.redirect(303, `/console/webhooks/${endpointId}?done=${done}`);
  };

  router.get('/webhooks', may, async (req, res) => {
    send(res, 200, webhooksPage(session(res), (await services.webhooks.list(session(res).caller, { limit: 100 })).items, {}, notice(req)));
  });

  router.post('/webhooks', may, async (req, res) => {
    const raw = (req.body as Record<string, unknown>).events;
    const values = { url: field(req, 'url'), description: field(req, 'description') || undefined, events: (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String) };
    const again = async (status: number, errors: { path: string; message: string }[]) =>
      send(res, status, webhooksPage(session(res), (await services.webhooks.list(session(res).caller, { limit: 100 })).items, { values, errors }));
    const body = webhookEndpointBody.safeParse(values);
    if (!body.success) return again(422, zodErrors(body.error));
    try {
      const created = await services.webhooks.create(session(res).caller, body.data);
      showSecretOnce(req, res, created.id, created.secret, 'created');
    } catch (err) {
      if (err instanceof HttpProblem && (err.status === 422 || err.status === 409)) return again(err.status, err.extra.errors ?? [{ path: 'url', message: err.detail }]);
      throw err;
    }
  });

  router.get('/webhooks/:endpointId', may, async (req, res) => {
    const id = idOf(req);
    const endpoint = await services.webhooks.get(session(res).caller, id);
    const deliveries = await services.webhooks.deliveries(session(res).caller, id, { limit: 50 });
    const sealed = (req.cookies as Record<string, string> | undefined)?.[SECRET_COOKIE];
    if (sealed) res.clearCookie(SECRET_COOKIE, { path: `/console/webhooks/${id}` });
    res.setHeader('Cache-Control', 'no-store');
    send(res, 200, webhookEndpointPage(session(res), endpoint, deliveries.items, sealed ? services.webhooks.openForDisplay(sealed) : undefined, notice(req)));
  });

  router.post('/webhooks/:endpointId/disable', may, async (req, res) => {
    await services.webhooks.disable(session(res).caller, idOf(req));
    res.redirect(303, `/console/webhooks/${idOf(req)}?done=disabled`);
  });
  router.post('/webhooks/:endpointId/enable', may, async (req, res) => {
    await services.webhooks.enable(session(res).caller, idOf(req));
    res.redirect(303, `/console/webhooks/${idOf(req)}?done=enabled`);
  });
  router.post('/webhooks/:endpointId/rotate-secret', may, async (req, res) => {
    const rotated = await services.webhooks.rotateSecret(session(res).caller, idOf(req));
    showSecretOnce(req, res, rotated.id, rotated.secret, 'rotated');
  });
  router.get('/webhooks/:endpointId/delete', may, async (req, res) => {
    send(res, 200, deleteEndpointPage(session(res), await services.webhooks.get(session(res).caller, idOf(req))));
  });
  router.post('/webhooks/:endpointId/delete', may, async (req, res) => {
    await services.webhooks.remove(session(res).caller, idOf(req));
    res.redirect(303, '/console/webhooks?done=deleted');
  });
  router.post('/webhooks/:endpointId/deliveries/:deliveryId/redeliver', may, async (req, res) => {
    const deliveryId = uuidSchema.safeParse(req.params.deliveryId);
    if (!deliveryId.success) throw problems.notFound('delivery');
    await services.webhooks.redeliver(session(res).caller, idOf(req), deliveryId.data);
    res.redirect(303, `/console/webhooks/${idOf(req)}?done=redelivered`);
  });
}
