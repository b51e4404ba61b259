export { purchaseWorkflow } from './purchase.ts';
export { linkWorkflow } from './link.ts';
export { refundCaseWorkflow } from './refund-case.ts';
