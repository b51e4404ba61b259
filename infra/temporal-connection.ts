import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../common/config.ts';
import { tracing } from './tracing.ts';

function tlsOptions(config: Config): ConnectionOptions['tls'] {
  const tls = config.temporal.tls;
  if (!tls) return config.temporal.apiKey ? true : undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.ca,
    clientCertPair: tls.cert && tls.key ? { crt: tls.cert, key: tls.key } : undefined,
  };
}

export async function connectClient(config: Config, address: string, codec?: PayloadCodec): Promise<Client> {
  const connection = await Connection.connect({
    address,
    tls: tlsOptions(config),
    apiKey: config.temporal.apiKey,
  });
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: codec ? { payloadCodecs: [codec] } : undefined, interceptors: tracing()?.clientInterceptors });
}

export async function connectWorkerConnection(config: Config, address: string): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address,
    tls: tlsOptions(config) as NativeConnectionOptions['tls'],
    apiKey: config.temporal.apiKey,
  };
  return NativeConnection.connect(options);
}
