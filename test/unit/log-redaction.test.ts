import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loggedUrl } from '../../api/app.ts';
import { assertMetricsPlacement } from '../../api/server.ts';
import { loadConfig } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { RuntimeLogger } from '../../infra/runtime-logger.ts';

describe('what the logs and the start-up refuse to carry', () => {
  test('the Temporal SDK’s log lines reach the log without their task tokens', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => (lines.push(l), true) } as unknown as NodeJS.WritableStream });
    const sdk = new RuntimeLogger(logger);
    const token = 'CiRmYjM1ZDQ0Ny1hYmNkLTQ0ZWYtODhhYS0xMjM0NTY3ODkwYWI';
    sdk.warn('Activity not found on completion', { taskToken: token, activityType: 'capturePayment' });
    sdk.warn(`failed to complete activity task_token: ${token}, will retry`, { nested: { taskToken: token } });
    sdk.error(`Completing task with TaskToken(${token}) failed`);
    const text = lines.join('\n');
    assert.equal(lines.length, 3);
    assert.ok(!text.includes(token), text);
    assert.match(text, /capturePayment/);
    assert.match(text, /\[redacted\]/);
  });

  test('an SDK line below the log level is dropped before any redaction work', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => (lines.push(l), true) } as unknown as NodeJS.WritableStream });
    const sdk = new RuntimeLogger(logger);
    let read = 0;
    const meta = Object.defineProperty({}, 'taskToken', { enumerable: true, get: () => (read++, 'secret') });
    sdk.debug('Activity completed', meta);
    sdk.trace('Activity started', meta);
    assert.deepEqual({ lines: lines.length, read }, { lines: 0, read: 0 });
    sdk.warn('Activity failed', meta);
    assert.deepEqual({ lines: lines.length, read }, { lines: 1, read: 1 });
  });

  test('request URLs are logged with the download token and every query value redacted', () => {
    assert.equal(loggedUrl('/v1/downloads/abcDEF123_-xyz?x=1'), '/v1/downloads/[token]?x=[redacted]');
    assert.equal(loggedUrl('/v1/products?api_key=csp_1234&limit=5'), '/v1/products?api_key=[redacted]&limit=[redacted]');
    assert.equal(loggedUrl('/v1/products'), '/v1/products');
  });

  test('production refuses /metrics on the public port unless METRICS_ADDRESS or ALLOW_PUBLIC_METRICS says otherwise', () => {
    assert.throws(() => assertMetricsPlacement(loadConfig({ NODE_ENV: 'production' })), /METRICS_ADDRESS/);
    assert.doesNotThrow(() => assertMetricsPlacement(loadConfig({ NODE_ENV: 'production', METRICS_ADDRESS: '127.0.0.1:9100' })));
    assert.doesNotThrow(() => assertMetricsPlacement(loadConfig({ NODE_ENV: 'production', ALLOW_PUBLIC_METRICS: 'true' })));
    assert.doesNotThrow(() => assertMetricsPlacement(loadConfig({ NODE_ENV: 'development' })));
  });

  test('TRUST_PROXY is off unless set, and a bad value stops the process', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.equal(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, 'loopback, 10.0.0.0/8');
    assert.throws(() => loadConfig({ TRUST_PROXY: 'every one!' }), /TRUST_PROXY/);
  });
});
