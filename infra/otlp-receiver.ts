// A local OTLP/HTTP trace receiver (JSON, as @opentelemetry/exporter-trace-otlp-http sends it):
// what the tracing tests and the bench's traced run export to.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: { key: string; value: AnyValue }[] }
interface OtlpExport { resourceSpans: { resource: { attributes: { key: string; value: AnyValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] }

export interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, string | number | boolean | undefined>;
}

export interface OtlpReceiver {
  /** With `countOnly`, spans are not kept: only how many arrived of each name counted in `names`. */
  counted: Map<string, number>;
  /** What an exporter takes as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Export requests received (each a batch). */
  batches(): number;
  close(): Promise<void>;
}

const valueOf = (v: AnyValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue);

/**
 * `countOnly` (the bench): count the spans of the given names in the raw body, without parsing
 * it, so the receiver in the bench's process takes as little CPU from the measured API as it can.
 */
export async function startOtlpReceiver(options: { countOnly?: string[] } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const counted = new Map<string, number>();
  let batches = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      batches++;
      const text = Buffer.concat(chunks).toString('utf8');
      if (options.countOnly) {
        for (const name of options.countOnly) counted.set(name, (counted.get(name) ?? 0) + text.split(`"name":${JSON.stringify(name)}`).length - 1);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        return;
      }
      const body = JSON.parse(text) as OtlpExport;
      for (const rs of body.resourceSpans ?? []) {
        const service = String(valueOf(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}));
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              scope: ss.scope.name,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, valueOf(a.value)])),
            });
          }
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    counted,
    batches: () => batches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
