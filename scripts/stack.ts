// The stack's own process, started by `npm start`'s scripts/start.ts in a process group of its own.
// Tracing starts first, when OTEL_EXPORTER_OTLP_ENDPOINT asks for it: it patches http, express and
// pg as they load, so the stack (scripts/start-stack.ts) is imported only after it.
import { startTracing } from '../infra/tracing.ts';

await startTracing('csp');
await import('./start-stack.ts');
