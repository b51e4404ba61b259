// The catalog: products, their variants and prices.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { productSchema } from '../../common/schemas.ts';
import { route, type RouteDef } from './route.ts';

export const catalogRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/products',
    summary: 'The catalog, with each product’s variants and unit price',
    tag: 'Catalog',
    access: ACCESS.readCatalog,
    responses: { 200: { description: 'The catalog', schema: z.array(productSchema) } },
    handler: async ({ services }) => ({ status: 200, body: await services.catalog.list() }),
  }),
];
