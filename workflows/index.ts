export { orderWorkflow } from './order.ts';
// Orders started before the order workflow got its domain's name run under the type
// `purchaseWorkflow`; the same code serves them (test/histories/purchase-*.json replay through it).
export { orderWorkflow as purchaseWorkflow } from './order.ts';
export { linkWorkflow } from './link.ts';
export { refundCaseWorkflow } from './refund-case.ts';
export { retentionWorkflow } from './retention.ts';
export { webhookWorkflow } from './webhook.ts';
