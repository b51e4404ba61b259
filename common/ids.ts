// Every id the service derives, in one place: Temporal workflow ids, and the ids derived from a
// caller's Idempotency-Key (so a retried request names the same order or case) or from a catalog
// entry (so seeding twice names the same variant). Plain code, safe to import anywhere.
import { v5 as uuidv5 } from 'uuid';

/** The UUID v5 namespace of every derived id. Changing it would rename every derived id. */
export const ID_NAMESPACE = '6c3f4e0a-2d1b-4f8e-9a51-3b7c2e9d4a10';

export const workflowIds = {
  order: (orderId: string) => `order-${orderId}`,
  link: (linkId: string) => `link-${linkId}`,
  refundCase: (caseId: string) => `refund-case-${caseId}`,
  /** One delivery workflow per partner endpoint, whatever the number of its events. */
  webhookEndpoint: (endpointId: string) => `webhook-endpoint-${endpointId}`,
};

export const derivedIds = {
  /** An order placed with an Idempotency-Key is the same order each time the key is sent. */
  order: (agentId: string, idempotencyKey: string) => uuidv5(`order:${agentId}:${idempotencyKey}`, ID_NAMESPACE),
  lineItem: (orderId: string, position: number) => uuidv5(`line:${orderId}:${position}`, ID_NAMESPACE),
  /** A cancellation filed with an Idempotency-Key is the same refund case each time. */
  refundCase: (agentId: string, idempotencyKey: string) => uuidv5(`refund-case:${agentId}:${idempotencyKey}`, ID_NAMESPACE),
  /** A decision or comment sent again with its Idempotency-Key is the same one: Temporal's update id, the comment's dedupe key. */
  decision: (agentId: string, idempotencyKey: string) => uuidv5(`decision:${agentId}:${idempotencyKey}`, ID_NAMESPACE),
  comment: (agentId: string, idempotencyKey: string) => uuidv5(`comment:${agentId}:${idempotencyKey}`, ID_NAMESPACE),
  variant: (productId: string, version: string, language: string, fileType: string) => uuidv5(`variant:${productId}:${version}:${language}:${fileType}`, ID_NAMESPACE),
  /** The demo seed's partners, agents and customers: the same on every machine. */
  demo: (name: string) => uuidv5(`demo:${name}`, ID_NAMESPACE),
};
