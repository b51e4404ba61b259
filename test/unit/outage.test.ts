import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, Connection, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
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

  test('an update the workflow did not accept or answer within the deadline is an outage (the caller retries)', () => {
    assert.equal(isDependencyOutage(new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout or cancelled')), true);
  });

  test('a programming error is not', () => {
    assert.equal(isDependencyOutage(new TypeError("Cannot read properties of undefined (reading 'id')")), false);
    assert.equal(isDependencyOutage(Object.assign(new Error('unique constraint'), { code: 'P2002' })), false);
  });
});
