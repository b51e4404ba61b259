import { z } from 'zod';
import { uuidSchema } from '../../common/schemas.ts';

export const customerParams = z.object({ customerId: uuidSchema });
export const subscriptionParams = z.object({ customerId: uuidSchema, subscriptionId: uuidSchema });
export const refundCaseParams = z.object({ refundCaseId: uuidSchema });
