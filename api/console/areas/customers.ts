import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ACCESS } from '../../../common/access.ts';
import { MAX_PAGE } from '../../../common/paging.ts';
import { createCustomerBody, keysAndDownloadsBody, refundCaseFilingBody, uuidSchema } from '../../../common/schemas.ts';
import { HttpProblem, problems, zodErrors, type FieldError } from '../../problem.ts';
import { writeReply } from '../../reply.ts';
import { csvReply } from '../../routes/lists.ts';
import { SOFTWARE_COLUMNS } from '../../routes/software.ts';
import { allow, field, fields, send, session, type ConsoleArea } from '../kit.ts';
import { attachmentProblem, attachmentsOf } from '../uploads.ts';
import { customersPage, refundCaseFilingPage, softwareItemPage, softwareListPage } from '../pages/software.ts';

const subParams = z.object({ customerId: uuidSchema, subscriptionId: uuidSchema });

/** Partner agents' area: customers, their Software list, keys and downloads, and filing a cancellation. */
export function customerArea({ router, db, services }: ConsoleArea): void {
  const customerOf = async (res: Response, customerId: string) => {
    if (!uuidSchema.safeParse(customerId).success) throw problems.notFound('customer');
    return services.customers.view(await services.customers.get(session(res).caller, customerId));
  };
  const itemOf = async (req: Request, res: Response) => {
    const p = subParams.safeParse(req.params);
    if (!p.success) throw problems.notFound('software subscription');
    const customer = await customerOf(res, p.data.customerId);
    const item = await services.software.get(session(res).caller, customer.id, p.data.subscriptionId);
    return { customer, item };
  };

  const windowsOf = async (res: Response, customerId: string, subscriptionId: string) =>
    (await services.software.links(session(res).caller, customerId, subscriptionId, { limit: MAX_PAGE })).items;

  router.get('/customers', allow(ACCESS.partnerStaff, 'open the customer list'), async (_req, res) => {
    send(res, 200, customersPage(session(res), (await services.customers.list(session(res).caller, { limit: MAX_PAGE })).items));
  });

  router.post('/customers', allow(ACCESS.partnerStaff, 'add customers'), async (req, res) => {
    const values = { domain: field(req, 'domain').trim(), companyName: field(req, 'companyName').trim() };
    const again = async (status: number, errors: FieldError[]) =>
      send(res, status, customersPage(session(res), (await services.customers.list(session(res).caller, { limit: MAX_PAGE })).items, { values, errors }));
    const body = createCustomerBody.safeParse(values);
    if (!body.success) return again(422, zodErrors(body.error));
    try {
      const created = await services.customers.create(session(res).caller, body.data);
      res.redirect(303, `/console/customers/${created.id}`);
    } catch (err) {
      if (err instanceof HttpProblem && err.status === 409) return again(409, [{ path: 'domain', message: err.detail }]);
      throw err;
    }
  });

  router.get('/customers/:customerId', allow(ACCESS.partnerStaff, 'open a customer’s Software list'), async (req, res) => {
    const customer = await customerOf(res, String(req.params.customerId));
    send(res, 200, softwareListPage(session(res), customer, (await services.software.list(session(res).caller, customer.id, { limit: MAX_PAGE })).items));
  });

  // Before /customers/:customerId/software/:subscriptionId, which would take "export.csv" for an id.
  router.get('/customers/:customerId/software/export.csv', allow(ACCESS.partnerStaff, 'export a customer’s Software list'), async (req, res) => {
    const customer = await customerOf(res, String(req.params.customerId));
    await writeReply(res, csvReply(`software-${customer.domain}`, SOFTWARE_COLUMNS, services.software.everyItem(session(res).caller, customer.id)));
  });

  router.get('/customers/:customerId/software/:subscriptionId', allow(ACCESS.partnerStaff, 'open software'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    const windows = await windowsOf(res, customer.id, item.subscriptionId);
    // After "Get keys and downloads" (post/redirect/get): the window it opened or found, while it is open.
    const opened = typeof req.query.opened === 'string' ? item.downloadLinks.find((l) => l.linkId === req.query.opened) : undefined;
    const result = opened && item.productKey ? { productKey: item.productKey, download: opened } : undefined;
    // Its cancellation, if it has one: the item links to the case and says when support is waiting on the partner.
    const refundCase = await db.refundCase.findFirst({ where: { subscriptionId: item.subscriptionId }, orderBy: { createdAt: 'desc' }, select: { id: true, title: true, status: true } });
    send(res, 200, softwareItemPage(session(res), customer, item, { windows, result, refundCase, notice: result ? { kind: 'success', text: 'Here are the key and the download link.' } : undefined }));
  });

  router.post('/customers/:customerId/software/:subscriptionId/keys-and-downloads', allow(ACCESS.keysAndDownloads, 'get keys and downloads'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    const values = fields(req, ['version', 'language', 'fileType']);
    const body = keysAndDownloadsBody.safeParse(values);
    if (!body.success) return send(res, 422, softwareItemPage(session(res), customer, item, { values, errors: zodErrors(body.error), windows: await windowsOf(res, customer.id, item.subscriptionId) }));
    try {
      const result = await services.software.keysAndDownloads(session(res).caller, customer.id, item.subscriptionId, body.data);
      // A page that can be reloaded and bookmarked: a reload shows it again instead of posting again.
      res.redirect(303, `/console/customers/${customer.id}/software/${item.subscriptionId}?opened=${result.download.linkId}`);
    } catch (err) {
      if (err instanceof HttpProblem && (err.status === 409 || err.status === 422)) {
        return send(res, err.status, softwareItemPage(session(res), customer, item, { values, errors: err.extra.errors, notice: { kind: 'error', text: err.detail }, windows: await windowsOf(res, customer.id, item.subscriptionId) }));
      }
      throw err;
    }
  });

  const currencyOf = async (orderId: string) => (await db.order.findUniqueOrThrow({ where: { id: orderId }, select: { currency: true } })).currency;
  /** What the item cost: the form starts from it and says it is the most that can be asked back. */
  const paidFor = async (subscriptionId: string) => {
    const sub = await db.softwareSubscription.findUniqueOrThrow({ where: { id: subscriptionId }, select: { quantity: true, lineItem: { select: { unitPrice: true } } } });
    return sub.lineItem.unitPrice.times(sub.quantity).toFixed(2);
  };
  const CANCEL_FIELDS = ['title', 'impact', 'refundReason', 'amount', 'description', 'contactName', 'contactEmail', 'contactPhone'];

  router.get('/customers/:customerId/software/:subscriptionId/cancel', allow(ACCESS.cancel, 'cancel purchases'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    send(res, 200, refundCaseFilingPage(session(res), customer, item, await currencyOf(item.orderId), randomUUID(), {}, await paidFor(item.subscriptionId)));
  });

  router.post('/customers/:customerId/software/:subscriptionId/cancel', allow(ACCESS.cancel, 'cancel purchases'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    const [currency, paid] = await Promise.all([currencyOf(item.orderId), paidFor(item.subscriptionId)]);
    const values = fields(req, CANCEL_FIELDS);
    const files = attachmentsOf(req);
    const idempotencyKey = field(req, 'idempotencyKey');
    const again = (status: number, errors: FieldError[] | undefined, text: string) =>
      send(res, status, refundCaseFilingPage(session(res), customer, item, currency, /^[A-Za-z0-9-]{1,255}$/.test(idempotencyKey) ? idempotencyKey : randomUUID(), { values, errors, notice: { kind: 'error', text }, filesSent: files.length > 0 || res.locals.uploadProblem !== undefined }, paid));
    const body = refundCaseFilingBody.safeParse({
      customer: { domain: customer.domain },
      subscriptionId: item.subscriptionId,
      refundReason: values.refundReason,
      amountRequested: { amount: values.amount!.trim(), currency },
      impact: values.impact,
      title: values.title,
      ...(values.description!.trim() ? { description: values.description } : {}),
      contact: { name: values.contactName, email: values.contactEmail, phone: values.contactPhone },
      ...(files.length ? { attachments: files } : {}),
    });
    const apiErrors = body.success ? [] : zodErrors(body.error);
    const errors = [
      ...apiErrors.filter((e) => !e.path.startsWith('attachments')),
      // The API's words for a file (attachments.1.contentType) become the file's name and what is wrong with it.
      ...apiErrors.filter((e) => e.path.startsWith('attachments')).map((e) => {
        const [, index = '', part = ''] = e.path.split('.');
        return { path: 'attachments', message: attachmentProblem(files[Number(index)]?.fileName ?? '', part, e.message) };
      }),
      ...(res.locals.uploadProblem ? [{ path: 'attachments', message: res.locals.uploadProblem }] : []),
    ];
    if (!body.success || errors.length) return again(422, errors, 'The ticket was not filed: please correct the form.');
    if (!/^[A-Za-z0-9-]{1,255}$/.test(idempotencyKey)) return again(422, [], 'The form is incomplete; it has been renewed, please submit it again.');
    try {
      const filed = await services.refundCases.file(session(res).caller, customer.id, item.subscriptionId, body.data, `console:${idempotencyKey}`);
      res.redirect(303, `/console/refund-cases/${filed.refundCaseId}?done=filed`);
    } catch (err) {
      if (err instanceof HttpProblem && (err.status === 409 || err.status === 422)) return again(err.status, err.extra.errors, `The ticket was not filed: ${err.detail}`);
      throw err;
    }
  });
}
