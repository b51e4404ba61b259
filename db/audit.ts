import { Prisma, type Db } from './client.ts';
import { batchRows } from './statements.ts';

/** One entry of the audit log: who (an agent, or null for the system) did what to which target. */
export interface AuditEntry {
  agentId: string | null;
  partnerId: string | null;
  action: string;
  target: { type: string; id: string };
  /** Never secrets: the log is read by support and operations. */
  data?: Prisma.InputJsonValue;
}

/** The one module that writes `audit_events`; `db` may be a transaction, so the entry commits with its action. */
export async function recordAudit(db: Pick<Db, 'auditEvent'>, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: { agentId: entry.agentId, partnerId: entry.partnerId, action: entry.action, targetType: entry.target.type, targetId: entry.target.id, data: entry.data ?? undefined },
  });
}

/**
 * The same entries as a statement to run inside a larger one (the orders', which are written in a
 * single statement): each written once per target and action, whoever runs it first, and with
 * `targets` (a query of target ids) only for the targets it answers.
 */
export function auditOnceSql(entries: AuditEntry[], targets?: Prisma.Sql): Prisma.Sql {
  const rows = entries.map((e) => ({ agent_id: e.agentId, partner_id: e.partnerId, action: e.action, target_type: e.target.type, target_id: e.target.id, data: e.data ?? null }));
  return Prisma.sql`
      INSERT INTO audit_events (agent_id, partner_id, action, target_type, target_id, data)
      SELECT e.agent_id, e.partner_id, e.action, e.target_type, e.target_id, e.data
        FROM (${batchRows(rows, 'agent_id uuid, partner_id uuid, action text, target_type text, target_id text, data jsonb')}) AS e
       WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.target_type = e.target_type AND a.target_id = e.target_id AND a.action = e.action)
         ${targets ? Prisma.sql`AND e.target_id IN (${targets})` : Prisma.empty}`;
}

/** Takes back the entries of an action that was itself taken back (in the same transaction). */
export async function forgetAudit(db: Pick<Db, 'auditEvent'>, target: { type: string; id: string }, action: string): Promise<void> {
  await db.auditEvent.deleteMany({ where: { targetType: target.type, targetId: target.id, action } });
}
