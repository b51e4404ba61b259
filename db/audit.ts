import { Prisma, type Db } from './client.ts';

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
 * The same entry as a statement to run inside a larger one (the order's, which is written in a
 * single statement): written once per target and action, whoever runs it first.
 */
export function auditOnceSql(entry: AuditEntry | undefined): Prisma.Sql {
  return Prisma.sql`
      INSERT INTO audit_events (agent_id, partner_id, action, target_type, target_id, data)
      SELECT ${entry?.agentId ?? null}::uuid, ${entry?.partnerId ?? null}::uuid, ${entry?.action ?? ''}, ${entry?.target.type ?? ''}, ${entry?.target.id ?? ''}, ${JSON.stringify(entry?.data ?? null)}::jsonb
       WHERE ${entry !== undefined}::boolean
         AND NOT EXISTS (SELECT 1 FROM audit_events WHERE target_type = ${entry?.target.type ?? ''} AND target_id = ${entry?.target.id ?? ''} AND action = ${entry?.action ?? ''})`;
}

/** Takes back the entries of an action that was itself taken back (in the same transaction). */
export async function forgetAudit(db: Pick<Db, 'auditEvent'>, target: { type: string; id: string }, action: string): Promise<void> {
  await db.auditEvent.deleteMany({ where: { targetType: target.type, targetId: target.id, action } });
}
