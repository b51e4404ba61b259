// `npm run worker`. Tracing starts first, when OTEL_EXPORTER_OTLP_ENDPOINT asks for it: it patches
// pg and http as they load, so the worker (worker/serve.ts) is imported only after it.
import { startTracing } from '../infra/tracing.ts';

await startTracing('csp-worker');
await import('./serve.ts');
