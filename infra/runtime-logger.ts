import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from '../common/logger.ts';

// A task token lets whoever holds it complete or fail that activity: it must not reach the logs.
// The SDK puts it in log metadata (`taskToken`) and the core in message text (`task_token: …`).
const TOKEN_IN_TEXT = /(task[_ ]?token["']?\s*[:=]\s*)("[^"]*"|'[^']*'|TaskToken\([^)]*\)|\[[^\]]*\]|[^\s,;)}]+)/gi;
const TOKEN_WRAPPED = /TaskToken\([^)]*\)/g;
const TOKEN_KEY = /^task_?token$/i;

export function redactTaskTokens(message: string): string {
  return message.replace(TOKEN_WRAPPED, 'TaskToken([redacted])').replace(TOKEN_IN_TEXT, '$1[redacted]');
}

function redactMeta(meta: LogMetadata | undefined, depth = 0): LogMetadata | undefined {
  if (!meta || depth > 4) return meta;
  return Object.fromEntries(
    Object.entries(meta).map(([k, v]) => {
      if (TOKEN_KEY.test(k)) return [k, '[redacted]'];
      if (typeof v === 'string') return [k, redactTaskTokens(v)];
      if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error) && !ArrayBuffer.isView(v)) return [k, redactMeta(v as LogMetadata, depth + 1)];
      return [k, v];
    }),
  );
}

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The Temporal SDK's and core's log lines, through our pino logger, with task tokens redacted. */
export class RuntimeLogger implements SdkLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const name = LEVELS[level];
    // The SDK logs every activity's start and end at debug level: redacting lines the level then
    // drops cost a worker ~1 % of its CPU per order (bench --profile).
    if (!this.logger.isLevelEnabled(name)) return;
    this.logger[name](redactMeta(meta) ?? {}, redactTaskTokens(message));
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * The SDK's Runtime for this process (the worker's, and the native connection the API's client
 * uses): its log and the core's through `logger` at warn, task tokens redacted. The core serves its
 * Prometheus metrics at `metricsAddress`, if given; `shutdownSignals` are those the Runtime answers by shutting down
 * (none where the process's own shutdown must drain first and close the connection itself).
 */
export function installTemporalRuntime(logger: Logger, options: { metricsAddress?: string; shutdownSignals: NodeJS.Signals[] }): void {
  Runtime.install({
    logger: new RuntimeLogger(logger.child({ sdk: 'temporal' }, { level: 'warn' })),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } } : {}),
    },
    shutdownSignals: options.shutdownSignals,
  });
}
