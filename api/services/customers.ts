import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import type { createCustomerBody } from '../../common/schemas.ts';
import type { Caller } from '../auth.ts';
import { isUniqueViolation, type Db } from '../../db/client.ts';
import { createCustomer } from '../../db/customers.ts';
import { problems } from '../problem.ts';
import { auditEntry } from './audit.ts';
import type { PageRequest } from '../../common/paging.ts';
import { keyset, pageOf, type Keyset } from './paging.ts';
import { partnerScope } from './scope.ts';

type Customer = { id: string; partnerId: string; domain: string; companyName: string; createdAt: Date };

const view = (c: Customer) => ({ id: c.id, domain: c.domain, companyName: c.companyName, createdAt: c.createdAt.toISOString() });

const CUSTOMER_LIST: Keyset<Customer> = { list: 'customers', field: 'domain', direction: 'asc', at: (c) => c.domain, id: (c) => c.id };

export function createCustomerService(db: Db) {
  // A customer row never changes once created (nothing updates or deletes it), so a row read once
  // stays true; the partner check is still made on every call. Only hits are kept: a customer
  // created through another API process is found in the database.
  const known = new LRUCache<string, Customer>({ max: 10_000 });

  return {
    async create(caller: Caller, body: z.infer<typeof createCustomerBody>) {
      if (!caller.partnerId) throw problems.forbidden('Only partner agents create customers.');
      try {
        const id = randomUUID();
        const customer = await createCustomer(db, { id, partnerId: caller.partnerId, domain: body.domain, companyName: body.companyName }, auditEntry(caller, 'customer.create', { type: 'customer', id }));
        return view(customer);
      } catch (err) {
        if (isUniqueViolation(err)) throw problems.conflict('customer-exists', `Your partner already has a customer with the domain ${body.domain}.`);
        throw err;
      }
    },

    /** The caller partner's customers, by domain. */
    async list(caller: Caller, page: PageRequest) {
      const k = keyset(CUSTOMER_LIST, page);
      const rows = await db.customer.findMany({ where: { ...partnerScope(caller), ...k.where }, orderBy: k.orderBy, take: k.take });
      return pageOf(rows, CUSTOMER_LIST, page, view);
    },

    /** The caller's customer, or 404 (also for another partner's customer). */
    async get(caller: Caller, customerId: string): Promise<Customer> {
      let customer = known.get(customerId);
      if (!customer) {
        customer = (await db.customer.findUnique({ where: { id: customerId } })) ?? undefined;
        if (customer) known.set(customerId, customer);
      }
      const scope = partnerScope(caller);
      if (!customer || (scope.partnerId && customer.partnerId !== scope.partnerId)) throw problems.notFound('customer');
      return customer;
    },

    view,
  };
}
export type CustomerService = ReturnType<typeof createCustomerService>;
