// `npm run keys -- <command>`: manage API keys. Keys are shown once, at creation; only a hash is kept.
//   create --partner <partnerId> --role admin_agent|sales_agent [--name "Jane Doe"]
//   create --role support_engineer|operations [--name "…"]
//   create --agent <agentId>            another key for an existing agent
//   revoke <apiKey or its prefix>
//   list [--partner <partnerId>]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../common/config.ts';
import { ROLES } from '../common/domain.ts';
import { createApiKey, revokeApiKey } from '../db/api-keys.ts';
import { createDb } from '../db/client.ts';
import { withCliDatabase } from '../infra/cli-database.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { partner: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, agent: { type: 'string' } },
});
const [command, target] = positionals;

function fail(message: string): never {
  console.error(`keys: ${message}`);
  process.exit(2);
}

await withCliDatabase(loadConfig(), async (url) => {
  const db = createDb(url);
  try {
    switch (command) {
      case 'create': {
        let agentId = values.agent;
        if (agentId) {
          if (!z.uuid().safeParse(agentId).success || !(await db.agent.findUnique({ where: { id: agentId } }))) fail(`no agent ${agentId}`);
        } else {
          const role = z.enum(ROLES).safeParse(values.role);
          if (!role.success) fail(`--role must be one of ${ROLES.join(', ')}`);
          const partnerStaff = role.data === 'admin_agent' || role.data === 'sales_agent';
          if (partnerStaff && !values.partner) fail(`--partner is required for ${role.data}`);
          if (!partnerStaff && values.partner) fail(`${role.data} is provider staff and belongs to no partner`);
          if (values.partner && !(z.uuid().safeParse(values.partner).success && (await db.partner.findUnique({ where: { id: values.partner } })))) {
            fail(`no partner ${values.partner}`);
          }
          agentId = randomUUID();
          await db.agent.create({ data: { id: agentId, partnerId: values.partner ?? null, role: role.data, name: values.name ?? role.data } });
        }
        const key = await createApiKey(db, agentId!, { label: 'cli' });
        console.log(JSON.stringify({ agentId, apiKey: key, note: 'store it now: it is not shown again' }, null, 2));
        break;
      }
      case 'revoke': {
        if (!target) fail('revoke needs the key or its prefix');
        const prefix = /^csp_([a-f0-9]{16})_/.exec(target)?.[1] ?? target;
        if (!(await revokeApiKey(db, prefix))) fail(`no active key with prefix ${prefix}`);
        console.log(JSON.stringify({ revoked: prefix }));
        break;
      }
      case 'list': {
        const keys = await db.apiKey.findMany({
          where: values.partner ? { agent: { partnerId: values.partner } } : {},
          include: { agent: true },
          orderBy: { createdAt: 'asc' },
        });
        for (const k of keys) {
          console.log(`${k.prefix}  ${k.agent.role.padEnd(16)} ${k.agent.partnerId ?? '(provider)'}  ${k.revokedAt ? 'revoked ' + k.revokedAt.toISOString() : 'active'}  ${k.agent.name}`);
        }
        break;
      }
      default:
        fail('usage: npm run keys -- create --partner <id> --role <role> | create --role support_engineer|operations | create --agent <id> | revoke <key|prefix> | list');
    }
  } finally {
    await db.$disconnect();
  }
});
