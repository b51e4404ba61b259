import type { Request } from 'express';
import { z } from 'zod';
import { ACCESS } from '../../../common/access.ts';
import { decisionBody, idempotencyKeySchema, uuidSchema } from '../../../common/schemas.ts';
import { refundCaseListQuery } from '../../../common/list-queries.ts';
import { HttpProblem, problems, zodErrors, type FieldError } from '../../problem.ts';
import { writeReply } from '../../reply.ts';
import { csvReply } from '../../routes/lists.ts';
import { CASE_COLUMNS } from '../../routes/refund-cases.ts';
import { allow, field, fields, filledQuery, firstPageIfStale, listFilters, send, session, STALE_PAGE, type ConsoleArea } from '../kit.ts';
import { caseLive, casePage, queuePage } from '../pages/refund-cases.ts';
import { CONSOLE_PAGE } from '../lists.ts';

const idParams = z.object({ id: uuidSchema });
/** The form's own Idempotency-Key, when it sent a usable one. */
const onceKey = (value: string | undefined) => idempotencyKeySchema.safeParse(value).data;

/** Support's area: the refund-case queue, the case page, decisions and comments. */
export function refundCaseArea({ router, db, services }: ConsoleArea): void {
  router.get('/refund-cases', allow(ACCESS.readRefundCases, 'open the refund-case queue'), async (req, res) => {
    const { filters, invalid } = listFilters(refundCaseListQuery, { limit: CONSOLE_PAGE, ...filledQuery(req) });
    const caller = session(res).caller;
    let notice = invalid;
    const [{ found, stale }, partners] = await Promise.all([
      firstPageIfStale(filters, (q) => services.refundCases.list(caller, q)),
      caller.partnerId ? Promise.resolve([]) : db.partner.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true } }),
    ]);
    if (stale) notice = STALE_PAGE;
    const onFirstPage = !filters.cursor || stale;
    send(res, invalid ? 422 : 200, queuePage(session(res), { cases: found.items, next: found.next, onFirstPage }, filters, partners, notice));
  });

  // Before /refund-cases/:id, which would take "export.csv" for an id.
  router.get('/refund-cases/export.csv', allow(ACCESS.readRefundCases, 'export the refund-case queue'), async (req, res) => {
    const parsed = refundCaseListQuery.safeParse(filledQuery(req));
    if (!parsed.success) {
      const errors = zodErrors(parsed.error, 'query');
      throw problems.unprocessable(`Nothing was exported: the filters are invalid (${errors.map((e) => `${e.path.replace('query.', '')}: ${e.message}`).join('; ')}).`, errors);
    }
    await writeReply(res, csvReply('refund-cases', CASE_COLUMNS, services.refundCases.everyCase(session(res).caller, parsed.data)));
  });

  const caseId = (req: Request) => {
    const p = idParams.safeParse(req.params);
    if (!p.success) throw problems.notFound('refund case');
    return p.data.id;
  };

  router.get('/refund-cases/:id', allow(ACCESS.readRefundCases, 'open refund cases'), async (req, res) => {
    const c = await services.refundCases.get(session(res).caller, caseId(req));
    const done = typeof req.query.done === 'string' ? req.query.done : undefined;
    const notice = done === 'filed' ? 'The cancellation ticket is filed.' : done === 'comment' ? 'Comment added.' : done ? `Decision recorded: ${done.replaceAll('_', ' ')}.` : undefined;
    send(res, 200, casePage(session(res), c, { notice: notice ? { kind: 'success', text: notice } : undefined }));
  });

  // What console.js fetches while the case moves (after a decision: approved, then completed).
  router.get('/refund-cases/:id/live', allow(ACCESS.readRefundCases, 'open refund cases'), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    send(res, 200, caseLive(await services.refundCases.get(session(res).caller, caseId(req))));
  });

  // Attachments are for the people deciding: support downloads them (never rendered inline).
  router.get('/refund-cases/:id/attachments/:attachmentId', allow(ACCESS.decideRefundCases, 'download case attachments'), async (req, res) => {
    const c = await services.refundCases.get(session(res).caller, caseId(req));
    const attachmentId = uuidSchema.safeParse(req.params.attachmentId);
    const file = attachmentId.success ? await db.refundCaseAttachment.findFirst({ where: { id: attachmentId.data, caseId: c.refundCaseId } }) : null;
    if (!file) throw problems.notFound('attachment');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${file.fileName.replace(/[^\w.-]+/g, '_')}"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.send(Buffer.from(file.content));
  });

  router.post('/refund-cases/:id/decision', allow(ACCESS.decideRefundCases, 'decide refund cases'), async (req, res) => {
    const id = caseId(req);
    const values = fields(req, ['decision', 'approvedAmount', 'note', 'idempotencyKey']);
    const body = decisionBody.safeParse({
      decision: values.decision,
      note: values.note,
      ...(values.decision === 'approve' && values.approvedAmount!.trim() ? { approvedAmount: values.approvedAmount!.trim() } : {}),
    });
    const caller = session(res).caller;
    const again = async (status: number, errors: FieldError[], text: string) =>
      send(res, status, casePage(session(res), await services.refundCases.get(caller, id), { errors, values, notice: { kind: 'error', text } }));
    if (!body.success) return again(422, zodErrors(body.error), 'The decision was not recorded: please correct the form.');
    try {
      await services.refundCases.decide(caller, id, body.data, onceKey(values.idempotencyKey));
    } catch (err) {
      if (err instanceof HttpProblem && err.status < 500 && err.status !== 404) return again(err.status, err.extra.errors ?? [], `The decision was not recorded: ${err.detail}`);
      throw err;
    }
    res.redirect(303, `/console/refund-cases/${id}?done=${body.data.decision}`);
  });

  router.post('/refund-cases/:id/comments', allow(ACCESS.commentOnRefundCases, 'comment on refund cases'), async (req, res) => {
    const id = caseId(req);
    const caller = session(res).caller;
    const note = field(req, 'note').trim();
    try {
      if (!note) throw problems.unprocessable('The comment is empty.', [{ path: 'note', message: 'write a comment' }]);
      await services.refundCases.comment(caller, id, { note: note.slice(0, 2000) }, onceKey(field(req, 'idempotencyKey')));
    } catch (err) {
      if (err instanceof HttpProblem && err.status < 500 && err.status !== 404) {
        return send(res, err.status, casePage(session(res), await services.refundCases.get(caller, id), { notice: { kind: 'error', text: `The comment was not added: ${err.detail}` } }));
      }
      throw err;
    }
    res.redirect(303, `/console/refund-cases/${id}?done=comment`);
  });
}
