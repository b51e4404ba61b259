import { z } from 'zod';
import { fields } from '../../common/fields.ts';

export const customerParams = z.object({ customerId: fields.customerId });
export const subscriptionParams = z.object({ customerId: fields.customerId, subscriptionId: fields.subscriptionId });
export const refundCaseParams = z.object({ refundCaseId: fields.refundCaseId });
