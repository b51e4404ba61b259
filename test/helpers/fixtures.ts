import { randomUUID } from 'node:crypto';
import type { OrderInput } from '../../common/domain.ts';
import type { Db } from '../../db/client.ts';
import { CATALOG, seedCatalog } from '../../db/catalog.ts';

export interface Tenant {
  partnerId: string;
  customerId: string;
  domain: string;
}

export async function createTenant(db: Db, name = 'Test Partner'): Promise<Tenant> {
  await seedCatalog(db);
  const partnerId = randomUUID();
  const customerId = randomUUID();
  const domain = `customer-${customerId.slice(0, 8)}.example.com`;
  await db.partner.create({ data: { id: partnerId, name } });
  await db.customer.create({ data: { id: customerId, partnerId, domain, companyName: 'Customer Ltd' } });
  return { partnerId, customerId, domain };
}

/** A purchase of the first two catalog products (1 + 2 licences). */
export function orderInput(tenant: Tenant, overrides: Partial<OrderInput> = {}): OrderInput {
  const [a, b] = [CATALOG[0]!, CATALOG[2]!];
  const orderId = randomUUID();
  return {
    orderId,
    partnerId: tenant.partnerId,
    customerId: tenant.customerId,
    paymentMethod: 'pm_card_ok',
    total: { amount: (Number(a.unitPrice) + 2 * Number(b.unitPrice)).toFixed(2), currency: 'USD' },
    lineItems: [
      { lineItemId: randomUUID(), position: 1, productId: a.id, quantity: 1, unitPrice: a.unitPrice },
      { lineItemId: randomUUID(), position: 2, productId: b.id, quantity: 2, unitPrice: b.unitPrice },
    ],
    paymentConfirmationDeadlineMs: 72 * 3600 * 1000,
    ...overrides,
  };
}
