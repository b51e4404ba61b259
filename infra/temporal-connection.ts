import { Client } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../common/config.ts';
import { tracing } from './tracing.ts';

function tlsOptions(config: Config): NativeConnectionOptions['tls'] {
  const tls = config.temporal.tls;
  if (!tls) return config.temporal.apiKey ? true : undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.ca,
    clientCertPair: tls.cert && tls.key ? { crt: tls.cert, key: tls.key } : undefined,
  };
}

/**
 * The one kind of connection every process opens, for its workers and its clients alike: the SDK's
 * native connection, whose gRPC runs in the Rust core instead of in grpc-js on the event loop.
 * Measured starting the order workflow 2,000 times, 32 at a time, with the same codec: 0.68-0.76
 * CPU-ms a start in the calling process against 0.93-1.30 over grpc-js; the API's CPU per order fell
 * 0.3 ms in scenario 1's stack with the worker stopped (two API processes interleaved), less than
 * the full scenario's spread between runs. The process needs the SDK's Runtime (installed by each
 * entry point with our logger, or its default).
 */
export async function connectTemporal(config: Config, address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address, tls: tlsOptions(config), apiKey: config.temporal.apiKey });
}

/** A client over an open connection, in the configured namespace, traced when tracing is on. */
export function clientOf(config: Config, connection: NativeConnection, codec?: PayloadCodec): Client {
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: codec ? { payloadCodecs: [codec] } : undefined, interceptors: tracing()?.clientInterceptors });
}

/** A client on a connection of its own (the API's, the worker's webhook relay). */
export async function connectClient(config: Config, address: string, codec?: PayloadCodec): Promise<Client> {
  return clientOf(config, await connectTemporal(config, address), codec);
}
