import type { Caller } from '../auth.ts';
import { recordAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import type { Prisma } from '../../generated/prisma/client.ts';

/** Every action by an agent goes to the audit log with who did it. Never put secrets in `data`. */
export async function audit(db: Db, caller: Caller | undefined, action: string, target: { type: string; id: string }, data?: Prisma.InputJsonValue) {
  await recordAudit(db, { agentId: caller?.agentId ?? null, partnerId: caller?.partnerId ?? null, action, target, data });
}
