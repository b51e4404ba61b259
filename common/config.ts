import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { durationSchema } from './durations.ts';
import { interactiveTaskQueue, TASK_QUEUE, webhookTaskQueue } from './messages.ts';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The implementations of the external systems there are: only local ones so far (see providers/). */
export const PROVIDER_KINDS = ['local'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export const LOCAL_PROVIDERS: ProviderChoice = { payments: 'local', keys: 'local', tickets: 'local' };

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_BASE_URL: optionalText.pipe(z.url().optional()),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalText.pipe(z.url().optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CERT_PATH: optionalText,
  TEMPORAL_TLS_KEY_PATH: optionalText,
  TEMPORAL_TLS_CA_PATH: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_UI_URL: optionalText.pipe(z.url().optional()),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_TEST_SERVER_PATH: optionalText,
  PAYMENT_WEBHOOK_SECRET: optionalText.pipe(z.string().min(16).optional()),
  LINK_TOKEN_SECRET: optionalText.pipe(z.string().min(32).optional()),
  PAYLOAD_ENCRYPTION_KEYS: optionalText,
  DOWNLOAD_LINK_TTL: durationSchema.default(14 * 24 * 3600 * 1000),
  DOWNLOAD_LINK_MAX_DOWNLOADS: z.coerce.number().int().min(1).max(100000).default(50),
  PAYMENT_CONFIRMATION_DEADLINE: durationSchema.default(72 * 3600 * 1000),
  REFUND_CASE_SLA: durationSchema.default(48 * 3600 * 1000),
  REFUND_WINDOW: durationSchema.default(30 * 24 * 3600 * 1000),
  AUDIT_RETENTION: durationSchema.default(400 * 24 * 3600 * 1000),
  DOWNLOAD_STORAGE_URL: optionalText.pipe(z.url().optional()),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  TEMPORAL_RPC_TIMEOUT: durationSchema.default(10_000),
  STUCK_ORDER_AFTER: durationSchema.default(30 * 60 * 1000),
  CONSOLE_SESSION_TTL: durationSchema.default(12 * 3600 * 1000),
  WORKER_METRICS_ADDRESS: optionalText.pipe(z.string().regex(/^[^:]+:\d{1,5}$/, 'host:port').optional()),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(250),
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(10_000).default(10),
  METRICS_ADDRESS: optionalText.pipe(z.string().regex(/^[^:]+:\d{1,5}$/, 'host:port').optional()),
  ALLOW_PUBLIC_METRICS: z.enum(['true', 'false']).default('false'),
  TRUST_PROXY: optionalText.pipe(
    z
      .string()
      .regex(/^(false|\d{1,2}|[0-9a-zA-Z.:/]+(\s*,\s*[0-9a-zA-Z.:/]+)*)$/, 'false, a hop count, or a comma-separated list of proxy addresses, CIDRs, or loopback / linklocal / uniquelocal')
      .optional(),
  ),
  WEBHOOK_RETRY_INITIAL_INTERVAL: durationSchema.default(30_000),
  WEBHOOK_RETRY_FOR: durationSchema.default(3 * 24 * 3600 * 1000),
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  WEBHOOK_TIMEOUT: durationSchema.default(10_000),
  LINK_EXPIRING_NOTICE: durationSchema.default(24 * 3600 * 1000),
  WEBHOOK_WORKER_SLOTS: z.coerce.number().int().min(1).max(10_000).default(100),
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  PAYMENT_PROVIDER: z.enum(PROVIDER_KINDS).default('local'),
  KEY_AUTHORITY: z.enum(PROVIDER_KINDS).default('local'),
  TICKET_SYSTEM: z.enum(PROVIDER_KINDS).default('local'),
});

export type Env = z.infer<typeof envSchema>;

/** Which implementation of each external system (providers/index.ts builds them). */
export interface ProviderChoice {
  payments: ProviderKind;
  keys: ProviderKind;
  tickets: ProviderKind;
}

export interface TlsFiles {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  serverName?: string;
}

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  port: number;
  host: string;
  publicBaseUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Connections each process keeps to PostgreSQL. */
  databasePoolSize: number;
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    /** Links and refund cases (see interactiveTaskQueue). */
    interactiveTaskQueue: string;
    /** Partner webhook deliveries (see webhookTaskQueue). */
    webhookTaskQueue: string;
    apiKey: string | undefined;
    tls: TlsFiles | undefined;
    uiUrl: string | undefined;
    rpcTimeoutMs: number;
  };
  binaries: { cliPath: string | undefined; testServerPath: string | undefined };
  secrets: { paymentWebhook: string | undefined; linkToken: string | undefined; payloadKeys: string | undefined };
  downloads: { ttlMs: number; maxDownloads: number; storageUrl: string | undefined; filesDir: string };
  paymentConfirmationDeadlineMs: number;
  refundCaseSlaMs: number;
  /** How long after its purchase perpetual software may be cancelled for a refund (Partner Center: 30 days). */
  refundWindowMs: number;
  /** Download and audit events older than this are removed by the retention schedule. */
  auditRetentionMs: number;
  rateLimitPerMinute: number;
  /** An in-flight order that has not changed status for this long is listed as stuck. */
  stuckOrderAfterMs: number;
  /** How long a web console sign-in lasts. */
  consoleSessionTtlMs: number;
  /** Where the worker serves the Temporal SDK's Prometheus metrics (task slots, latencies, sticky cache). */
  workerMetricsAddress: string | undefined;
  /**
   * Workflows the worker keeps in memory between tasks (its sticky cache). The SDK's default grows
   * with the heap limit (about 2,300 here, over 1 GB of RSS with thousands of open download windows);
   * an evicted workflow is replayed from its short history when its next task comes.
   */
  workerMaxCachedWorkflows: number;
  workerWorkflowThreads: number;
  /**
   * Activities each queue's worker runs at once. Past this they wait in Temporal, durably, instead
   * of in the worker's event loop, where a burst of purchases would delay every download and decision.
   */
  workerActivitySlots: number;
  providers: ProviderChoice;
  /** When set, the API serves /metrics only on this internal `host:port`, not on its public port. */
  metricsAddress: string | undefined;
  /** Production only starts with /metrics on the public port when this says so. */
  allowPublicMetrics: boolean;
  /**
   * Which proxies' X-Forwarded-For is believed (Express's `trust proxy`): none unless configured,
   * so a client cannot choose the address that rate limits and download records see.
   */
  trustProxy: false | number | string;
  /** Failed authentications per client address per minute; past it the address gets 429 before any key is checked. */
  authFailuresPerMinute: number;
  webhooks: {
    /** First retry after this; each next one waits twice as long (capped, see db/webhooks.ts). */
    retryInitialMs: number;
    /** Retries stop this long after the first failed attempt; the delivery is then failed. */
    retryForMs: number;
    /** Private, loopback and plain-http receivers (a receiver on the same machine); never in production by default. */
    allowPrivateUrls: boolean;
    /** A receiver must answer 2xx within this. */
    timeoutMs: number;
    /** How long before a window's deadline link.expiring is sent. */
    linkExpiringNoticeMs: number;
    /** Endpoint drains a worker runs at once (each mostly waits on a receiver). */
    workerSlots: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; every problem is reported together so a bad deploy fails with one clear message. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const wantsTls = e.TEMPORAL_TLS === 'true' || Boolean(e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_TLS_CA_PATH);
  if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError('Invalid configuration:\n  - TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be given together (mTLS)');
  }
  const read = (p: string | undefined) => (p ? readFileSync(p) : undefined);
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    dataDir,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      interactiveTaskQueue: interactiveTaskQueue(e.TEMPORAL_TASK_QUEUE),
      webhookTaskQueue: webhookTaskQueue(e.TEMPORAL_TASK_QUEUE),
      apiKey: e.TEMPORAL_API_KEY,
      tls: wantsTls
        ? {
            cert: read(e.TEMPORAL_TLS_CERT_PATH),
            key: read(e.TEMPORAL_TLS_KEY_PATH),
            ca: read(e.TEMPORAL_TLS_CA_PATH),
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      uiUrl: e.TEMPORAL_UI_URL,
      rpcTimeoutMs: e.TEMPORAL_RPC_TIMEOUT,
    },
    binaries: { cliPath: e.TEMPORAL_CLI_PATH, testServerPath: e.TEMPORAL_TEST_SERVER_PATH },
    secrets: { paymentWebhook: e.PAYMENT_WEBHOOK_SECRET, linkToken: e.LINK_TOKEN_SECRET, payloadKeys: e.PAYLOAD_ENCRYPTION_KEYS },
    downloads: {
      ttlMs: e.DOWNLOAD_LINK_TTL,
      maxDownloads: e.DOWNLOAD_LINK_MAX_DOWNLOADS,
      storageUrl: e.DOWNLOAD_STORAGE_URL,
      filesDir: path.join(dataDir, 'files'),
    },
    paymentConfirmationDeadlineMs: e.PAYMENT_CONFIRMATION_DEADLINE,
    refundCaseSlaMs: e.REFUND_CASE_SLA,
    refundWindowMs: e.REFUND_WINDOW,
    auditRetentionMs: e.AUDIT_RETENTION,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    stuckOrderAfterMs: e.STUCK_ORDER_AFTER,
    consoleSessionTtlMs: e.CONSOLE_SESSION_TTL,
    workerMetricsAddress: e.WORKER_METRICS_ADDRESS,
    metricsAddress: e.METRICS_ADDRESS,
    allowPublicMetrics: e.ALLOW_PUBLIC_METRICS === 'true',
    trustProxy: !e.TRUST_PROXY || e.TRUST_PROXY === 'false' ? false : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    webhooks: {
      retryInitialMs: e.WEBHOOK_RETRY_INITIAL_INTERVAL,
      retryForMs: e.WEBHOOK_RETRY_FOR,
      allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT,
      linkExpiringNoticeMs: e.LINK_EXPIRING_NOTICE,
      workerSlots: e.WEBHOOK_WORKER_SLOTS,
    },
    workerMaxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    workerWorkflowThreads: e.WORKER_WORKFLOW_THREADS,
    workerActivitySlots: e.WORKER_ACTIVITY_SLOTS,
    providers: { payments: e.PAYMENT_PROVIDER, keys: e.KEY_AUTHORITY, tickets: e.TICKET_SYSTEM },
  };
}
