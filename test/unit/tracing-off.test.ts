import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);

/** Without OTEL_EXPORTER_OTLP_ENDPOINT nothing of OpenTelemetry's SDK or instrumentations is loaded, so nothing is patched. */
test('with no OTLP endpoint, starting tracing loads no OpenTelemetry SDK and patches nothing', async () => {
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) assert.equal(process.env[name], undefined, `${name} is unset for this test`);
  const { startTracing, tracing } = await import('../../infra/tracing.ts');
  assert.equal(await startTracing('csp-api'), undefined);
  // The API and the worker as their entry points load them, after startTracing.
  await import('../../api/app.ts');
  await import('../../worker/worker.ts');
  assert.equal(tracing(), undefined);
  const loaded = Object.keys(require.cache).filter((f) => /@opentelemetry[\\/](sdk-|instrumentation|exporter)|interceptors-opentelemetry|import-in-the-middle/.test(f));
  assert.deepEqual(loaded, []);
  assert.ok(Object.keys(require.cache).some((f) => f.includes(`${'@opentelemetry'}/api`)), 'the API package itself is loaded (the logger reads the active span): the check sees ES-imported CommonJS');
});
