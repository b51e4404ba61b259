// The parts of the OpenAPI document that are not in the route table: the headers answers carry,
// and what each tag is about. Declared once; openapi.ts puts them where they apply.

/** Response headers the API sends, each described once (components.headers). */
export const RESPONSE_HEADERS = {
  'X-Request-Id': 'Identifies this request in the service’s logs (send your own UUID to have it used); quote it when you report a problem',
  'RateLimit': 'IETF RateLimit header (draft 7): this key’s remaining requests in its window and when the window resets, e.g. `limit=600, remaining=599, reset=60`',
  'RateLimit-Policy': 'The limit and its window in seconds, e.g. `600;w=60`',
  'Retry-After': 'Seconds to wait before sending the request again (with the same Idempotency-Key)',
  'WWW-Authenticate': 'How to authenticate: `Bearer realm="csp-onprem"`',
  'Location': 'Where the resource created or acted on is read',
  'Link': 'The next page while more remain: `<path?…&cursor=…>; rel="next"`',
  'Idempotent-Replayed': '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
  'X-Downloads-Remaining': 'Downloads left in this window after this one',
} as const;
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** The tags, in the order the reference shows them. */
export const TAGS: { name: string; description: string }[] = [
  { name: 'Catalog', description: 'The products a partner can buy, with their variants (version, language, file type) and unit prices.' },
  { name: 'Customers', description: 'A partner’s customers, the companies it buys software for.' },
  { name: 'Orders', description: 'Buying: an order starts the purchase workflow (payment, then keys), and goes through awaiting payment and provisioning to active, or ends declined, expired or failed.' },
  { name: 'Software', description: 'What was bought for a customer: each subscription with its product key and its download windows (14 days or 50 downloads each).' },
  { name: 'Download links', description: 'The download behind a window’s link; no API key, the token in the URL is the credential.' },
  { name: 'Refund cases', description: 'Cancelling a purchase: the support ticket, the support engineer’s decision, and the revocation of the key and links that an approval ends with.' },
  { name: 'Trail', description: 'Who did what and when: a subscription’s activity and the audit log.' },
  { name: 'Webhooks', description: 'Partner endpoints that receive signed events (Standard Webhooks) instead of polling, and their deliveries.' },
  { name: 'Operations', description: 'For operations staff: orders in flight and stuck, activities being retried, reconciliation with the workflows, counts.' },
  { name: 'Payments', description: 'Events from the payment provider (signed); not for partners.' },
  { name: 'Codec server', description: 'Decode and encode Temporal payloads for the Temporal Web UI and CLI.' },
  { name: 'Health', description: 'Liveness and readiness probes.' },
  { name: 'Service', description: 'Documents served beside the API: this document, the reference, the problem types, metrics.' },
];
