import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { apiMetricsOf } from '../../api/metrics.ts';
import { loadConfig } from '../../common/config.ts';
import { createDb } from '../../db/client.ts';
import { freePort } from '../../infra/ports.ts';

/**
 * While PostgreSQL and Temporal are down, /metrics still answers: the read-model gauges have no
 * samples and csp_dependency_up says which dependency is down, so ApiNotReady can fire and
 * Prometheus does not just lose the target (real clients pointed at ports where nothing listens).
 */
test('with its dependencies down the API still exports its metrics, with csp_dependency_up at 0', async () => {
  const db = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/nothing`);
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 300 });
  try {
    const metrics = apiMetricsOf({ config: loadConfig({ NODE_ENV: 'test', STUCK_ORDER_AFTER: '30m' }), db, temporal: new Client({ connection }) });
    const text = await metrics.registry.metrics();
    assert.match(text, /^csp_dependency_up\{dependency="database"\} 0$/m);
    assert.match(text, /^csp_dependency_up\{dependency="temporal"\} 0$/m);
    assert.match(text, /^# TYPE csp_orders_stuck gauge$/m);
    assert.doesNotMatch(text, /^csp_orders\{/m, 'no stale read-model samples');
  } finally {
    await db.$disconnect();
    // One more call past the probe's own deadline, so the probe's call has settled before the close.
    await connection.withDeadline(Date.now() + 3000, () => connection.workflowService.getSystemInfo({})).catch(() => undefined);
    await connection.close();
  }
});
