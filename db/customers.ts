import type { Db } from './client.ts';
import type { Customer } from '../generated/prisma/client.ts';

/** The one module that writes `customers`: a partner's customer, identified by its tenant GUID and unique per partner by domain. */
export function createCustomer(db: Db, customer: { id: string; partnerId: string; domain: string; companyName: string }): Promise<Customer> {
  return db.customer.create({ data: customer });
}
