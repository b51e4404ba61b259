import { recordAudit, type AuditEntry } from './audit.ts';
import type { Db } from './client.ts';
import type { Customer } from '../generated/prisma/client.ts';

/** The one module that writes `customers` (with its audit entry, in one transaction): a partner's customer, identified by its tenant GUID and unique per partner by domain. */
export function createCustomer(db: Db, customer: { id: string; partnerId: string; domain: string; companyName: string }, audit?: AuditEntry): Promise<Customer> {
  return db.$transaction(async (tx) => {
    const created = await tx.customer.create({ data: customer });
    if (audit) await recordAudit(tx, audit);
    return created;
  });
}
