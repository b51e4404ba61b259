// The trail: what happened to a piece of software and who did it, and the audit log behind it.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { pageQuery } from '../../common/paging.ts';
import { activityEntrySchema, auditEventSchema } from '../../common/response-schemas.ts';
import { auditEventsQuery } from '../../common/list-queries.ts';
import { fieldColumns, listReply, listResponses, type CsvColumns } from './lists.ts';
import { subscriptionParams } from './params.ts';
import { route, type RouteDef } from './route.ts';

type AuditRow = z.infer<typeof auditEventSchema>;
const AUDIT_COLUMNS: CsvColumns<AuditRow> = [
  ...fieldColumns<AuditRow>('id', 'at', 'action'),
  { header: 'actorAgentId', get: (e) => e.actor?.agentId },
  { header: 'actorName', get: (e) => e.actor?.name },
  { header: 'actorRole', get: (e) => e.actor?.role },
  { header: 'targetType', get: (e) => e.target.type },
  { header: 'targetId', get: (e) => e.target.id },
  ...fieldColumns<AuditRow>('partnerId', 'data'),
];

export const trailRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/customers/:customerId/software/:subscriptionId/activity',
    operationId: 'getSoftwareActivity',
    summary: 'Who did what to this software and when, oldest first: order placed, key shown, windows opened and ended, each download served or refused, cancellation, decisions, key revoked, refund issued',
    tag: 'Trail',
    access: ACCESS.readActivity,
    params: subscriptionParams,
    query: pageQuery,
    responses: listResponses('Activity entries (actor null for the system and anonymous downloaders; client addresses truncated to /24 or /48)', z.array(activityEntrySchema)),
    handler: async ({ caller, params, query, req, services }) => listReply({ req, page: () => services.activity.ofSubscription(caller, params.customerId, params.subscriptionId, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/audit-events',
    operationId: 'listAuditEvents',
    summary: 'The audit log, newest first, filtered by partner, actor, action, target and time',
    tag: 'Trail',
    access: ACCESS.readAuditLog,
    query: auditEventsQuery,
    responses: listResponses('Audit events', z.array(auditEventSchema), AUDIT_COLUMNS),
    handler: async ({ query, req, services }) =>
      listReply({ req, page: () => services.audit.list(query), export: { name: 'audit-events', columns: AUDIT_COLUMNS, rows: () => services.audit.everyEvent(query) } }),
  }),
];
