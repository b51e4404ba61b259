// A customer's Software (subscriptions): the list, one item with its key and open windows, and "Get keys and downloads".
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { keysAndDownloadsBody, keysAndDownloadsSchema, softwareItemSchema, softwareListItemSchema } from '../../common/schemas.ts';
import { pageQuery } from '../../common/paging.ts';
import { linkHistorySchema } from '../../common/response-schemas.ts';
import { fieldColumns, listReply, listResponses, type CsvColumns } from './lists.ts';
import { customerParams, subscriptionParams } from './params.ts';
import { route, type RouteDef } from './route.ts';

type SoftwareRow = z.infer<typeof softwareListItemSchema>;
export const SOFTWARE_COLUMNS: CsvColumns<SoftwareRow> = fieldColumns<SoftwareRow>('subscriptionId', 'orderId', 'productId', 'productName', 'quantity', 'status', 'purchasedAt');

export const softwareRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/customers/:customerId/software',
    operationId: 'listSoftware',
    summary: 'The customer’s Software list: everything bought for it',
    tag: 'Software',
    access: ACCESS.partnerStaff,
    params: customerParams,
    query: pageQuery,
    responses: listResponses('The software list, oldest purchase first', z.array(softwareListItemSchema), SOFTWARE_COLUMNS),
    handler: async ({ caller, params, query, req, services }) =>
      listReply({
        req,
        page: () => services.software.list(caller, params.customerId, query),
        export: { name: 'software', columns: SOFTWARE_COLUMNS, rows: () => services.software.everyItem(caller, params.customerId) },
      }),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId/software/:subscriptionId/links',
    operationId: 'listDownloadWindows',
    summary: 'Every download window ever opened for this software, newest first, with why each ended (URL for admin agents, only while open)',
    tag: 'Software',
    access: ACCESS.partnerStaff,
    params: subscriptionParams,
    query: pageQuery,
    responses: listResponses('Download windows', z.array(linkHistorySchema)),
    handler: async ({ caller, params, query, req, services }) => listReply({ req, page: () => services.software.links(caller, params.customerId, params.subscriptionId, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId/software/:subscriptionId',
    operationId: 'getSoftware',
    summary: 'One piece of software with its options and open download links (key for admin agents only)',
    tag: 'Software',
    access: ACCESS.partnerStaff,
    params: subscriptionParams,
    responses: { 200: { description: 'The software', schema: softwareItemSchema } },
    handler: async ({ caller, params, services }) => ({
      status: 200,
      body: await services.software.get(caller, params.customerId, params.subscriptionId),
    }),
  }),
  route({
    method: 'post',
    path: '/v1/customers/:customerId/software/:subscriptionId/keys-and-downloads',
    operationId: 'getKeysAndDownloads',
    summary: 'Get keys and downloads: the product key and a download link for one variant',
    tag: 'Software',
    access: ACCESS.keysAndDownloads,
    params: subscriptionParams,
    body: keysAndDownloadsBody,
    responses: {
      200: { description: 'The key and the open download window', schema: keysAndDownloadsSchema },
      409: { description: 'The software is cancelled or being cancelled', problems: ['software-not-active'] },
      422: { description: 'The variant is not offered; the allowed values are listed' },
    },
    handler: async ({ caller, params, body, services }) => ({
      status: 200,
      body: await services.software.keysAndDownloads(caller, params.customerId, params.subscriptionId, body),
    }),
  }),
];
