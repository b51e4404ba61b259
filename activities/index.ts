import type { Db } from '../db/client.ts';
import type { KeyAuthority } from '../providers/keys.ts';
import type { PaymentProvider } from '../providers/payments.ts';
import type { TicketSystem } from '../providers/tickets.ts';
import { createRefundCaseActivities } from './refund-cases.ts';
import { createLinkActivities } from './links.ts';
import { createOrderActivities } from './orders.ts';
import { createRetentionActivities } from './retention.ts';
import { createWebhookActivities, type WebhookDeps } from './webhooks.ts';

export interface ActivityDeps {
  db: Db;
  payments: PaymentProvider;
  keys: KeyAuthority;
  tickets: TicketSystem;
  /** Partner webhook delivery; a worker built without it (a unit test's) has no endpoints to serve. */
  webhooks?: Omit<WebhookDeps, 'db'>;
}

/** Every side effect the workflows need, built from injectable parts so tests can pass real or local ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createLinkActivities(deps),
    ...createRefundCaseActivities(deps),
    ...createRetentionActivities(deps),
    ...createWebhookActivities({ db: deps.db, ...deps.webhooks }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
