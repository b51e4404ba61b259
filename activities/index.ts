import type { Db } from '../db/client.ts';
import type { KeyAuthority } from '../providers/keys.ts';
import type { PaymentProvider } from '../providers/payments.ts';
import type { TicketSystem } from '../providers/tickets.ts';
import { createRefundCaseActivities } from './refund-cases.ts';
import { createLinkActivities } from './links.ts';
import { createOrderActivities } from './orders.ts';
import { createRetentionActivities } from './retention.ts';

export interface ActivityDeps {
  db: Db;
  payments: PaymentProvider;
  keys: KeyAuthority;
  tickets: TicketSystem;
}

/** Every side effect the workflows need, built from injectable parts so tests can pass real or local ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createLinkActivities(deps),
    ...createRefundCaseActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
