// Who may do what, declared once: the API's route table, the console's routes and its navigation
// all read these lists, so a role cannot be allowed by one surface and refused by the other.
import { ROLES, type Role } from './domain.ts';

export const ACCESS = {
  /** The catalog is readable by every agent. */
  readCatalog: ROLES,
  /** A partner's own staff manage its customers, their orders and their Software. */
  partnerStaff: ['admin_agent', 'sales_agent'],
  /** Orders are also read by operations, across partners. */
  readOrders: ['admin_agent', 'sales_agent', 'operations'],
  /** Product keys and download windows are for a partner's admins only. */
  keysAndDownloads: ['admin_agent'],
  /** Filing a cancellation (a refund case) is an admin's act. */
  cancel: ['admin_agent'],
  /** The refund-case queue: support decides, operations watches, the partner's admin follows its own. */
  readRefundCases: ['support_engineer', 'operations', 'admin_agent'],
  decideRefundCases: ['support_engineer'],
  commentOnRefundCases: ['support_engineer', 'admin_agent'],
  operate: ['operations'],
  /** A subscription's activity: its partner's admin, and the provider's support and operations. */
  readActivity: ['admin_agent', 'support_engineer', 'operations'],
  /** A partner's webhook endpoints and their deliveries are its admins'. */
  manageWebhooks: ['admin_agent'],
  /** The audit log across partners. */
  readAuditLog: ['operations', 'support_engineer'],
  decodePayloads: ['operations', 'support_engineer'],
  encodePayloads: ['support_engineer'],
} as const satisfies Record<string, readonly Role[]>;
