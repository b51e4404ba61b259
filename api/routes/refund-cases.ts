// Refund cases: filing a cancellation, the queue, decisions and comments.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { refundCaseFilingBody, commentBody, decisionBody, refundCaseAcceptedSchema, refundCaseSchema } from '../../common/schemas.ts';
import { refundCaseListQuery } from '../../common/list-queries.ts';
import { commentSchema, refundCaseDetailSchema } from '../../common/response-schemas.ts';
import { subscriptionParams, refundCaseParams } from './params.ts';
import { fieldColumns, listReply, listResponses, type CsvColumns } from './lists.ts';
import { route, type RouteDef } from './route.ts';

type CaseRow = z.infer<typeof refundCaseSchema>;
export const CASE_COLUMNS: CsvColumns<CaseRow> = [
  ...fieldColumns<CaseRow>('refundCaseId', 'partnerId', 'customerId', 'customerDomain', 'subscriptionId', 'productName', 'orderId', 'status', 'impact', 'title'),
  { header: 'amountRequested', get: (c) => c.amountRequested.amount },
  { header: 'currency', get: (c) => c.amountRequested.currency },
  { header: 'approvedAmount', get: (c) => c.approvedAmount?.amount },
  ...fieldColumns<CaseRow>('ageHours', 'slaDueAt', 'overdue', 'escalatedAt', 'workflowId', 'createdAt', 'completedAt'),
];

export const refundCaseRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/customers/:customerId/software/:subscriptionId/cancellation',
    operationId: 'fileCancellation',
    summary: 'Cancel a purchase: file the support ticket (refund case) that ends with the key revoked',
    tag: 'Refund cases',
    access: ACCESS.cancel,
    params: subscriptionParams,
    body: refundCaseFilingBody,
    idempotent: true,
    bodyLimit: '15mb',
    responses: {
      202: { description: 'Filed; follow the Location', schema: refundCaseAcceptedSchema, headers: ['Location'] },
      409: { description: 'A case is already open for this software, or it cannot be cancelled now', problems: ['refund-case-open', 'not-cancellable'] },
      422: { description: 'Every missing or wrong field, at once' },
    },
    handler: async ({ caller, params, body, idempotencyKey, services }) => {
      const filed = await services.refundCases.file(caller, params.customerId, params.subscriptionId, body, idempotencyKey);
      return { status: 202, body: filed, headers: { Location: `/v1/refund-cases/${filed.refundCaseId}` } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/refund-cases',
    operationId: 'listRefundCases',
    summary: 'The refund-case queue, oldest first, with age and SLA',
    tag: 'Refund cases',
    access: ACCESS.readRefundCases,
    query: refundCaseListQuery,
    responses: listResponses('Cases, oldest first', z.array(refundCaseSchema), CASE_COLUMNS),
    handler: async ({ caller, query, req, services }) =>
      listReply({
        req,
        page: () => services.refundCases.list(caller, query),
        export: { name: 'refund-cases', columns: CASE_COLUMNS, rows: () => services.refundCases.everyCase(caller, query) },
      }),
  }),
  route({
    method: 'get',
    path: '/v1/refund-cases/:refundCaseId',
    operationId: 'getRefundCase',
    summary: 'One refund case with its full timeline of decisions and notes',
    tag: 'Refund cases',
    access: ACCESS.readRefundCases,
    params: refundCaseParams,
    responses: { 200: { description: 'The case', schema: refundCaseDetailSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.refundCases.get(caller, params.refundCaseId) }),
  }),
  route({
    method: 'post',
    path: '/v1/refund-cases/:refundCaseId/decision',
    operationId: 'decideRefundCase',
    summary: 'Decide a refund case: approve (optionally a lower amount), reject, or request information',
    tag: 'Refund cases',
    access: ACCESS.decideRefundCases,
    params: refundCaseParams,
    body: decisionBody,
    idempotent: true,
    responses: {
      200: { description: 'The case after the decision was carried out', schema: refundCaseDetailSchema, headers: ['Location'] },
      202: { description: 'The decision is accepted and recorded; it is still being carried out (the case shows its progress)', schema: refundCaseDetailSchema, headers: ['Location'] },
      409: { description: 'The case is not in review, or the decision is refused', problems: ['case-not-decidable'] },
    },
    handler: async ({ caller, params, body, idempotencyKey, services }) => {
      const { applied, refundCase } = await services.refundCases.decide(caller, params.refundCaseId, body, idempotencyKey);
      return { status: applied ? 200 : 202, body: refundCase, headers: { Location: `/v1/refund-cases/${params.refundCaseId}` } };
    },
  }),
  route({
    method: 'post',
    path: '/v1/refund-cases/:refundCaseId/comments',
    operationId: 'commentOnRefundCase',
    summary: 'Comment on a refund case (answers a request for information)',
    tag: 'Refund cases',
    access: ACCESS.commentOnRefundCases,
    params: refundCaseParams,
    body: commentBody,
    idempotent: true,
    responses: { 201: { description: 'The comment', schema: commentSchema }, 409: { description: 'The case is closed', problems: ['case-closed'] } },
    handler: async ({ caller, params, body, idempotencyKey, services }) => ({ status: 201, body: await services.refundCases.comment(caller, params.refundCaseId, body, idempotencyKey) }),
  }),
];
