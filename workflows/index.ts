export { purchaseWorkflow } from './purchase.ts';
export { linkWorkflow } from './link.ts';
