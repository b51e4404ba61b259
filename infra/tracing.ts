// Traces with OpenTelemetry: one trace from an HTTP request through the workflow it starts, the
// workflow's activities and their SQL. On when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, exported by OTLP/HTTP and configured by the standard
// OTEL_* variables; otherwise none of it is even loaded. The HTTP, Express and pg instrumentations
// patch those modules as they load, so a process starts tracing before it imports anything else
// (api/main.ts, worker/main.ts, scripts/stack.ts).
import { createRequire } from 'node:module';
import type { ClientInterceptors } from '@temporalio/client';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import type { Sampler } from '@opentelemetry/sdk-trace-base';

const require = createRequire(import.meta.url);

export interface Tracing {
  /** The worker's part: a span per activity, and the sink that exports the workflows' spans. */
  worker: { activityInterceptors: ActivityInterceptorsFactory[]; sinks: NonNullable<WorkerOptions['sinks']> };
  /** The client's interceptors: a workflow start joins the request's trace. */
  clientInterceptors: ClientInterceptors;
  /** What a workflow bundle must hold for workflow spans (a prebuilt bundle ignores the worker's). */
  workflowModules: string[];
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The running tracing, if this process started it. */
export const tracing = (): Tracing | undefined => active;

/** Whether the standard OpenTelemetry variables ask for traces to be exported. */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Starts tracing for `serviceName` (OTEL_SERVICE_NAME overrides it) when it is wanted; once per process. */
export async function startTracing(serviceName: string): Promise<Tracing | undefined> {
  if (active || !tracingWanted()) return active;
  // ES modules are patched through import-in-the-middle's loader hook, told only the modules the
  // instrumentations ask for, so every other module loads untouched.
  const { register } = await import('node:module');
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [{ NodeSDK }, { BatchSpanProcessor, SamplingDecision }, { buildSamplerFromEnv }, { OTLPTraceExporter }, { Resource }, { HttpInstrumentation }, { ExpressInstrumentation, ExpressLayerType }, { PgInstrumentation }, otelTemporal] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
    // The sampler OTEL_TRACES_SAMPLER names, as the SDK builds it (not re-exported from its index).
    import('@opentelemetry/sdk-trace-base/build/src/config.js') as Promise<{ buildSamplerFromEnv: () => Sampler }>,
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-pg'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const resource = new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME ?? serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const configured = buildSamplerFromEnv();
  const sdk = new NodeSDK({
    resource,
    // Every statement checks a connection out of the pool: its span (and a new connection's) would
    // double the SQL spans of a request and say nothing its query span does not. Not recorded, they
    // cost next to nothing; everything else is sampled as OTEL_TRACES_SAMPLER says.
    sampler: {
      shouldSample: (...args) => (['pg-pool.connect', 'pg.connect'].includes(args[2]) ? { decision: SamplingDecision.NOT_RECORD } : configured.shouldSample(...args)),
      toString: () => `WithoutPoolCheckouts{${configured.toString()}}`,
    },
    spanProcessors: [spanProcessor],
    instrumentations: [
      // Probes and scrapes would be most of the traces and say nothing.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => ['/metrics', '/healthz', '/readyz'].includes(req.url ?? '') }),
      // It names the request's span by its route. A span per middleware (helmet, cors, the rate
      // limits, the logger …) and per handler would be a dozen spans a request that say nothing,
      // and hide the request's own span from the middleware that answers with its traceparent.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.REQUEST_HANDLER] }),
      // Only SQL inside a traced operation: the relay's and sweeper's polling would be a trace per query.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  active = {
    worker: {
      activityInterceptors: [(ctx) => ({ inbound: new otelTemporal.OpenTelemetryActivityInboundInterceptor(ctx), outbound: new otelTemporal.OpenTelemetryActivityOutboundInterceptor(ctx) })],
      sinks: { exporter: otelTemporal.makeWorkflowExporter(spanProcessor, resource) },
    },
    clientInterceptors: { workflow: [new otelTemporal.OpenTelemetryWorkflowClientInterceptor()] },
    workflowModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    shutdown: () => sdk.shutdown(),
  };
  return active;
}
