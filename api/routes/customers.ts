// A partner's customers.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { createCustomerBody, customerSchema } from '../../common/schemas.ts';
import { customerParams } from './params.ts';
import { pageQuery } from '../../common/paging.ts';
import { listReply, listResponses } from './lists.ts';
import { route, type RouteDef } from './route.ts';

export const customerRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/customers',
    operationId: 'createCustomer',
    summary: 'Create a customer of the caller’s partner',
    tag: 'Customers',
    access: ACCESS.partnerStaff,
    body: createCustomerBody,
    idempotent: true,
    responses: { 201: { description: 'Created', schema: customerSchema, headers: ['Location'] }, 409: { description: 'The partner already has a customer with this domain', problems: ['customer-exists'] } },
    handler: async ({ caller, body, services }) => {
      const customer = await services.customers.create(caller, body);
      return { status: 201, body: customer, headers: { Location: `/v1/customers/${customer.id}` } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/customers',
    operationId: 'listCustomers',
    summary: 'The caller’s partner’s customers, by domain',
    tag: 'Customers',
    access: ACCESS.partnerStaff,
    query: pageQuery,
    responses: listResponses('Customers, by domain', z.array(customerSchema)),
    handler: async ({ caller, query, req, services }) => listReply({ req, page: () => services.customers.list(caller, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId',
    operationId: 'getCustomer',
    summary: 'One customer',
    tag: 'Customers',
    access: ACCESS.partnerStaff,
    params: customerParams,
    responses: { 200: { description: 'The customer', schema: customerSchema } },
    handler: async ({ caller, params, services }) => ({
      status: 200,
      body: services.customers.view(await services.customers.get(caller, params.customerId)),
    }),
  }),
];
