// The catalog: products, their variants and prices.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { productSchema } from '../../common/schemas.ts';
import { pageQuery } from '../../common/paging.ts';
import { listReply, listResponses } from './lists.ts';
import { route, type RouteDef } from './route.ts';

export const catalogRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/products',
    operationId: 'listProducts',
    summary: 'The catalog, with each product’s variants and unit price',
    tag: 'Catalog',
    access: ACCESS.readCatalog,
    query: pageQuery,
    responses: listResponses('The catalog, by product name', z.array(productSchema)),
    handler: async ({ query, req, services }) => listReply({ req, page: () => services.catalog.list(query) }),
  }),
];
