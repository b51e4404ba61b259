import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { ConfigError, type Config } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import type { Db } from '../db/client.ts';
import type { ResolvedSecrets } from '../infra/secrets.ts';
import { listenForKeyChanges } from '../db/key-changes.ts';
import { createApp } from './app.ts';
import type { ApiDeps } from './context.ts';
import { apiMetricsOf, startMetricsServer } from './metrics.ts';

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * /metrics tells anyone who can reach it how much is sold and to whom: in production it belongs on
 * an internal port, and the API refuses to start with it on the public one unless told to.
 */
export function assertMetricsPlacement(config: Config): void {
  if (config.env === 'production' && !config.metricsAddress && !config.allowPublicMetrics) {
    throw new ConfigError(
      'Invalid configuration:\n  - METRICS_ADDRESS: in production /metrics must be served on an internal host:port (METRICS_ADDRESS), or allowed on the public port with ALLOW_PUBLIC_METRICS=true',
    );
  }
}

export async function startApi(deps: { config: Config; db: Db; temporal: Client; logger: Logger; secrets: ResolvedSecrets; codec: PayloadCodec } & Pick<ApiDeps, 'rateLimitLeaseMs'>): Promise<RunningApi> {
  assertMetricsPlacement(deps.config);
  const metrics = apiMetricsOf(deps);
  const keyChanges = deps.config.databaseUrl ? listenForKeyChanges(deps.config.databaseUrl, deps.logger) : undefined;
  const app = createApp({ ...deps, metrics, keyChanges });
  const metricsServer = deps.config.metricsAddress ? await startMetricsServer(metrics, deps.config.metricsAddress) : undefined;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(deps.config.port, deps.config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.config.port;
  return {
    server,
    url: `http://localhost:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await app.shutdown();
      await keyChanges?.close();
    },
  };
}
