import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { createCustomerBody } from '../../common/schemas.ts';
import type { Caller } from '../../db/api-keys.ts';
import { isUniqueViolation, type Db } from '../../db/client.ts';
import { problems } from '../problem.ts';
import { audit } from './audit.ts';
import { partnerScope } from './scope.ts';

type Customer = { id: string; domain: string; companyName: string; createdAt: Date };

const view = (c: Customer) => ({ id: c.id, domain: c.domain, companyName: c.companyName, createdAt: c.createdAt.toISOString() });

export function createCustomerService(db: Db) {
  return {
    async create(caller: Caller, body: z.infer<typeof createCustomerBody>) {
      if (!caller.partnerId) throw problems.forbidden('Only partner agents create customers.');
      try {
        const customer = await db.customer.create({
          data: { id: randomUUID(), partnerId: caller.partnerId, domain: body.domain, companyName: body.companyName },
        });
        await audit(db, caller, 'customer.create', { type: 'customer', id: customer.id });
        return view(customer);
      } catch (err) {
        if (isUniqueViolation(err)) throw problems.conflict(`Your partner already has a customer with the domain ${body.domain}.`);
        throw err;
      }
    },

    /** The caller partner's customers, by domain. */
    async list(caller: Caller) {
      const rows = await db.customer.findMany({ where: partnerScope(caller), orderBy: [{ domain: 'asc' }, { id: 'asc' }], take: 1000 });
      return rows.map(view);
    },

    /** The caller's customer, or 404 (also for another partner's customer). */
    async get(caller: Caller, customerId: string) {
      const customer = await db.customer.findFirst({ where: { id: customerId, ...partnerScope(caller) } });
      if (!customer) throw problems.notFound('customer');
      return customer;
    },

    view,
  };
}
export type CustomerService = ReturnType<typeof createCustomerService>;
