import type { Db } from '../db/client.ts';
import { LocalKeyAuthority } from './keys.ts';
import { LocalPaymentProvider } from './payments.ts';
import { LocalTicketSystem } from './tickets.ts';

/** The external systems this deployment talks to. Only local implementations exist so far. */
export function createProviders(db: Db) {
  return { payments: new LocalPaymentProvider(db), keys: new LocalKeyAuthority(db), tickets: new LocalTicketSystem(db) };
}
