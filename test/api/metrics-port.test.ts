import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { startApi, type RunningApi } from '../../api/server.ts';
import { loadConfig } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { EncryptionCodec, parseKeyRing } from '../../infra/payload-codec.ts';
import { freePort } from '../../infra/ports.ts';
import { resolveSecrets } from '../../infra/secrets.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

describe('metrics on an internal port (METRICS_ADDRESS)', () => {
  let database: TestDatabase;
  let api: RunningApi;
  let metricsPort: number;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'csp-metrics-port-'));

  before(async () => {
    database = await createTestDatabase('metrics_port');
    metricsPort = await freePort();
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, METRICS_ADDRESS: `127.0.0.1:${metricsPort}` });
    const secrets = resolveSecrets(config);
    const codec = new EncryptionCodec(parseKeyRing(secrets.payloadKeys));
    // /metrics reads only the database; this client's lazy connection is never used.
    const temporal = new Client();
    api = await startApi({ config, db: database.db, temporal, logger: createLogger({ level: 'silent' }), secrets, codec });
  });
  after(async () => {
    await api?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('serves /metrics only on the internal address, not on the public port', async () => {
    const publicRes = await fetch(`${api.url}/metrics`);
    assert.equal(publicRes.status, 404);
    const internal = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(internal.status, 200);
    const text = await internal.text();
    assert.match(text, /# TYPE csp_orders gauge/);
    assert.match(text, /csp_api_process_cpu_seconds_total/);
  });
});
