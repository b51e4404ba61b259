import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../../db/client.ts';
import { isDependencyOutage } from '../../infra/outage.ts';
import { freePort } from '../../infra/ports.ts';

/** Real failures from real clients pointed at ports where nothing listens. */
describe('dependency outages are told apart from bugs', () => {
  test('PostgreSQL refusing connections is an outage', async () => {
    const db = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/nothing`);
    const err = await db.$queryRaw`SELECT 1`.then(
      () => assert.fail('no server should answer'),
      (e: unknown) => e,
    );
    assert.equal(isDependencyOutage(err), true, String(err));
    await db.$disconnect();
  });

  test('Temporal being unreachable is an outage', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const client = new Client({ connection });
    const err = await client
      .withDeadline(Date.now() + 1500, () => client.workflow.start('anything', { taskQueue: 'none', workflowId: 'outage-probe', args: [] }))
      .then(
        () => assert.fail('no server should answer'),
        (e: unknown) => e,
      );
    assert.equal(isDependencyOutage(err), true, String(err));
    await connection.close();
  });

  test('Temporal not answering within the deadline, over the native connection the API uses, is an outage', async () => {
    // A gRPC server that answers the connection's GetSystemInfo (an empty message) and nothing else:
    // every other call hangs, so the call runs out of its deadline however fast the machine is.
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      if (!String(headers[':path']).endsWith('/GetSystemInfo')) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connection = await NativeConnection.connect({ address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
    const client = new Client({ connection });
    const err = await client
      .withDeadline(Date.now() + 300, () => client.workflow.start('anything', { taskQueue: 'none', workflowId: 'outage-probe', args: [] }))
      .then(
        () => assert.fail('the server never answers a start'),
        (e: unknown) => e,
      );
    assert.equal(isDependencyOutage(err), true, `${String(err)}: ${String((err as Error).cause)}`);
    await connection.close();
    server.close();
  });

  test('an update the workflow did not accept or answer within the deadline is an outage (the caller retries)', () => {
    assert.equal(isDependencyOutage(new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout or cancelled')), true);
  });

  test('a programming error is not', () => {
    assert.equal(isDependencyOutage(new TypeError("Cannot read properties of undefined (reading 'id')")), false);
    assert.equal(isDependencyOutage(Object.assign(new Error('unique constraint'), { code: 'P2002' })), false);
  });
});
