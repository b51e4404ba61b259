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

export function createLogger(options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'csp-onprem' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? process.stdout,
  );
}
