import type { ApiDeps } from '../context.ts';
import { createActivityService } from './activity.ts';
import { createAuditService } from './audit.ts';
import { createCatalogService } from './catalog.ts';
import { createCodecService } from './codec.ts';
import { createCustomerService } from './customers.ts';
import { createHealthService } from './health.ts';
import { createLinkService } from './links.ts';
import { createOperationsService } from './operations.ts';
import { createOrderService } from './orders.ts';
import { createRefundCaseService } from './refund-cases.ts';
import { createRpc } from './rpc.ts';
import { createSoftwareService } from './software.ts';
import { createPaymentService } from './payments.ts';
import { createWebhookService } from './webhooks.ts';

export function createServices(apiDeps: ApiDeps) {
  const deps = { ...apiDeps, rpc: createRpc(apiDeps.temporal, apiDeps.config.temporal.rpcTimeoutMs) };
  const customers = createCustomerService(deps.db);
  const links = createLinkService(deps);
  return {
    catalog: createCatalogService(deps.db),
    customers,
    orders: createOrderService({ ...deps, customers }),
    software: createSoftwareService({ ...deps, customers, links }),
    links,
    refundCases: createRefundCaseService({ ...deps, customers }),
    payments: createPaymentService({ ...deps, secret: deps.secrets.paymentWebhook }),
    health: createHealthService(deps),
    operations: createOperationsService(deps),
    codec: createCodecService(deps.codec),
    activity: createActivityService({ db: deps.db, customers }),
    audit: createAuditService(deps.db),
    webhooks: createWebhookService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
