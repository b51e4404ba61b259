// `npm run api`. Tracing starts first, when OTEL_EXPORTER_OTLP_ENDPOINT asks for it: it patches
// http, express and pg as they load, so the API (api/serve.ts) is imported only after it.
import { startTracing } from '../infra/tracing.ts';

await startTracing('csp-api');
await import('./serve.ts');
