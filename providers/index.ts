import type { ProviderChoice } from '../common/config.ts';
import type { Db } from '../db/client.ts';
import { LocalKeyAuthority, type KeyAuthority } from './keys.ts';
import { LocalPaymentProvider, type PaymentProvider } from './payments.ts';
import { LocalTicketSystem, type TicketSystem } from './tickets.ts';

export interface Providers {
  payments: PaymentProvider;
  keys: KeyAuthority;
  tickets: TicketSystem;
}

/**
 * The external systems this deployment talks to, as configured (PAYMENT_PROVIDER, KEY_AUTHORITY,
 * TICKET_SYSTEM). Only local implementations exist so far; a real one is added as a new kind in
 * common/config.ts and a case here.
 */
export function createProviders(config: { providers: ProviderChoice }, db: Db): Providers {
  const { payments, keys, tickets } = config.providers;
  return {
    payments: payments === 'local' ? new LocalPaymentProvider(db) : unknownKind('PAYMENT_PROVIDER', payments),
    keys: keys === 'local' ? new LocalKeyAuthority(db) : unknownKind('KEY_AUTHORITY', keys),
    tickets: tickets === 'local' ? new LocalTicketSystem(db) : unknownKind('TICKET_SYSTEM', tickets),
  };
}

function unknownKind(setting: string, kind: never): never {
  throw new Error(`${setting}=${String(kind)} has no implementation`);
}
