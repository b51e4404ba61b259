// Exact decimal money arithmetic on two-decimal strings, usable in workflow code (no floats).
import type { Money } from './domain.ts';

export function toCents(amount: string): number {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(amount);
  if (!match) throw new Error(`not a decimal amount: ${amount}`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** Money as it leaves the service: a two-decimal string (never a float) and its currency. */
export function moneyOf(amount: { toFixed(digits: number): string }, currency: string): Money {
  return { amount: amount.toFixed(2), currency };
}
