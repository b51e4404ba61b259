import type { Caller } from '../auth.ts';
import { recordAudit, type AuditEntry } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import type { z } from 'zod';
import type { PageRequest } from '../../common/paging.ts';
import type { auditEventsQuery } from '../../common/list-queries.ts';
import type { AuditEvent, Prisma } from '../../generated/prisma/client.ts';
import { asTime, everyRow, keyset, pageOf, type Keyset } from './paging.ts';

/** The audit entry of an agent's action, for a writer in db/ to commit with the action itself. */
export function auditEntry(caller: Caller | undefined, action: string, target: { type: string; id: string }, data?: Prisma.InputJsonValue): AuditEntry {
  return { agentId: caller?.agentId ?? null, partnerId: caller?.partnerId ?? null, action, target, data };
}

/** An action whose only record is its audit entry (a key shown, keys handed out). Never put secrets in `data`. */
export async function audit(db: Db, caller: Caller | undefined, action: string, target: { type: string; id: string }, data?: Prisma.InputJsonValue) {
  await recordAudit(db, { agentId: caller?.agentId ?? null, partnerId: caller?.partnerId ?? null, action, target, data });
}

const AUDIT_LOG: Keyset<AuditEvent> = { list: 'audit-events', field: 'at', direction: 'desc', at: (e) => e.at.toISOString(), id: (e) => e.id.toString(), parse: asTime, parseId: (id) => BigInt(id) };

/** The audit log for operations and support: newest first, filtered, paged or exported whole. */
export function createAuditService(db: Db) {
  function fetch(query: z.infer<typeof auditEventsQuery>, page: PageRequest) {
    const k = keyset(AUDIT_LOG, page);
    return db.auditEvent.findMany({
      where: {
        AND: [
          {
            ...(query.partnerId ? { partnerId: query.partnerId } : {}),
            ...(query.actorAgentId ? { agentId: query.actorAgentId } : {}),
            ...(query.action ? { action: query.action } : {}),
            ...(query.targetType ? { targetType: query.targetType } : {}),
            ...(query.targetId ? { targetId: query.targetId } : {}),
            ...(query.from || query.to ? { at: { ...(query.from ? { gte: new Date(query.from) } : {}), ...(query.to ? { lt: new Date(query.to) } : {}) } } : {}),
          },
          k.where,
        ],
      },
      orderBy: k.orderBy,
      take: k.take,
    });
  }
  async function actors(rows: AuditEvent[]) {
    const ids = [...new Set(rows.map((r) => r.agentId).filter((x): x is string => x !== null))];
    const agents = ids.length ? await db.agent.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, role: true } }) : [];
    return new Map(agents.map((a) => [a.id, { agentId: a.id, name: a.name, role: a.role }]));
  }
  const view = (e: AuditEvent, who: Awaited<ReturnType<typeof actors>>) => ({
    id: e.id.toString(),
    at: e.at.toISOString(),
    action: e.action,
    actor: e.agentId ? (who.get(e.agentId) ?? null) : null,
    target: { type: e.targetType, id: e.targetId },
    partnerId: e.partnerId,
    data: e.data,
  });
  return {
    async list(query: z.infer<typeof auditEventsQuery>) {
      const rows = await fetch(query, query);
      const who = await actors(rows);
      return pageOf(rows, AUDIT_LOG, query, (e) => view(e, who));
    },
    async *everyEvent(query: z.infer<typeof auditEventsQuery>) {
      let batch: AuditEvent[] = [];
      const flush = async function* () {
        const who = await actors(batch);
        for (const e of batch) yield view(e, who);
        batch = [];
      };
      for await (const e of everyRow(async (page) => ({ rows: await fetch(query, page), spec: AUDIT_LOG }))) {
        batch.push(e);
        if (batch.length === 1000) yield* flush();
      }
      yield* flush();
    },
  };
}
