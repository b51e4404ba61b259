import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Secrets must never reach the logs: API keys, product keys, download tokens and contact details.
 * Paths cover both our own fields and pino-style request/response objects.
 */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["payment-signature"]',
  'apiKey',
  '*.apiKey',
  'productKey',
  '*.productKey',
  'token',
  '*.token',
  'url',
  'contact',
  '*.contact',
  'contactEmail',
  'contactPhone',
  '*.contactEmail',
  '*.contactPhone',
];

/** The active span's ids, as OpenTelemetry's log correlation names them; nothing outside a trace. */
export function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

export function createLogger(options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'csp-onprem' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Inside a traced request or activity, each line names its trace and span (infra/tracing.ts).
      mixin: traceFields,
    },
    options.destination ?? process.stdout,
  );
}
