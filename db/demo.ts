import { createHmac } from 'node:crypto';
import { derivedIds } from '../common/ids.ts';
import type { Role } from '../common/domain.ts';
import { createApiKey, formatApiKey } from './api-keys.ts';
import { CATALOG, seedCatalog } from './catalog.ts';
import { createCustomer } from './customers.ts';
import type { Db } from './client.ts';

const PARTNERS = [
  {
    name: 'Contoso Cloud Partners',
    customers: [
      { domain: 'northwind-traders.com', companyName: 'Northwind Traders' },
      { domain: 'tailspin-toys.com', companyName: 'Tailspin Toys' },
    ],
  },
  {
    name: 'Fabrikam Solutions',
    customers: [{ domain: 'adventure-works.com', companyName: 'Adventure Works Cycles' }],
  },
];

const id = derivedIds.demo;

/** Demo keys are derived from a per-installation seed: stable across runs, unknown to anyone else. */
async function demoKey(db: Db, seed: string, agent: { id: string; partnerId: string | null; name: string; role: Role }): Promise<string> {
  await db.agent.upsert({ where: { id: agent.id }, create: agent, update: { name: agent.name } });
  const derive = (purpose: string) => createHmac('sha256', seed).update(`demo-api-key:${purpose}:${agent.id}`).digest();
  const prefix = derive('prefix').subarray(0, 8).toString('hex');
  const existing = await db.apiKey.findUnique({ where: { prefix } });
  if (!existing) return createApiKey(db, agent.id, { id: id(`key:${agent.id}`), label: 'demo', secret: derive('secret'), prefix });
  return formatApiKey(prefix, derive('secret').toString('base64url'));
}

/** Seeds the catalog, two partners with customers, and one API key per role. Idempotent. */
export async function seedDemo(db: Db, seed: string) {
  await seedCatalog(db);
  const partners = [];
  for (const p of PARTNERS) {
    const partnerId = id(`partner:${p.name}`);
    await db.partner.upsert({ where: { id: partnerId }, create: { id: partnerId, name: p.name }, update: {} });
    const customers = [];
    for (const c of p.customers) {
      const existing = await db.customer.findUnique({ where: { partnerId_domain: { partnerId, domain: c.domain } } });
      const customer = existing ?? (await createCustomer(db, { id: id(`customer:${partnerId}:${c.domain}`), partnerId, ...c }));
      customers.push({ id: customer.id, domain: customer.domain });
    }
    const apiKeys = {
      admin_agent: await demoKey(db, seed, { id: id(`agent:${partnerId}:admin`), partnerId, name: `${p.name} admin`, role: 'admin_agent' }),
      sales_agent: await demoKey(db, seed, { id: id(`agent:${partnerId}:sales`), partnerId, name: `${p.name} sales`, role: 'sales_agent' }),
    };
    partners.push({ id: partnerId, name: p.name, apiKeys, customers });
  }
  const apiKeys = {
    support_engineer: await demoKey(db, seed, { id: id('agent:support'), partnerId: null, name: 'Provider support', role: 'support_engineer' }),
    operations: await demoKey(db, seed, { id: id('agent:operations'), partnerId: null, name: 'Provider operations', role: 'operations' }),
  };
  return { partners, apiKeys, products: CATALOG.map((p) => ({ id: p.id, name: p.name })) };
}
