import type { Caller } from '../auth.ts';

/**
 * The partner filter every query for partner data goes through: partner staff see only their own
 * partner's rows, provider staff (support, operations) see all. Another partner's id then simply
 * matches nothing, which the routes answer with 404.
 */
export function partnerScope(caller: Caller): { partnerId?: string } {
  return caller.partnerId ? { partnerId: caller.partnerId } : {};
}

export function isPartnerStaff(caller: Caller): boolean {
  return caller.role === 'admin_agent' || caller.role === 'sales_agent';
}
