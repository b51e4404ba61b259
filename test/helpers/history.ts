import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Client } from '@temporalio/client';

function isPayload(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && 'data' in v && 'metadata' in v && (v as Payload).data instanceof Uint8Array;
}

function collect(value: unknown, out: Payload[], depth = 0): void {
  if (depth > 40 || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (isPayload(value)) {
    out.push(value);
    return;
  }
  for (const v of Array.isArray(value) ? value : Object.values(value)) collect(v, out, depth + 1);
}

/**
 * A workflow's history as the Web UI shows it with the codec server: every payload in it (inputs,
 * results, signals, updates, failures' details) decrypted with the payload codec and read as text.
 * Searching the raw history finds nothing in ciphertext, whatever it holds; this is what to search.
 */
export async function decodedHistoryText(client: Client, codec: PayloadCodec, workflowId: string): Promise<{ text: string; payloads: number }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payloads: Payload[] = [];
  collect(history, payloads);
  const decoded = await codec.decode(payloads);
  const text = decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
  // Failure messages and stack traces are not payloads: keep them too.
  const plainParts = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? undefined : v));
  return { text: `${text}\n${plainParts}`, payloads: payloads.length };
}
