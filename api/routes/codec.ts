// The codec server the Temporal Web UI calls to show encrypted payloads.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { route, type RouteDef } from './route.ts';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
export const codecBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).optional().describe('The payload’s metadata, each value base64 (encoding, encryption-key-id …)'),
        data: base64.optional().describe('The payload’s bytes, base64'),
      }),
    )
    .max(10_000)
    .describe('Temporal payloads in their JSON form, as the Web UI sends them (at most 10,000)'),
});

export const codecRoutes: RouteDef[] = [
  ...(
    [
      // Encoding writes payloads a workflow would trust: only support, who may act on cases, gets it.
      ['decode', ACCESS.decodePayloads],
      ['encode', ACCESS.encodePayloads],
    ] as const
  ).map(([direction, access]) =>
    route({
      method: 'post',
      path: `/codec/${direction}`,
      operationId: `${direction}Payloads`,
      summary: `Codec server: ${direction} Temporal payloads (for the Web UI; ${access.length === 2 ? 'operations and support' : 'support'} only)`,
      tag: 'Codec server',
      access,
      body: codecBody,
      bodyLimit: '8mb',
      responses: {
        200: { description: `The ${direction}d payloads`, schema: codecBody },
        400: { description: `A payload could not be ${direction}d; each one is named` },
      },
      handler: async ({ body, services }) => ({ status: 200, body: await services.codec[direction](body.payloads) }),
    }),
  ),
];
