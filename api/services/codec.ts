import type { Payload, PayloadCodec } from '@temporalio/common';
import { problems } from '../problem.ts';

export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toPayload = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * The remote codec protocol of the Temporal Web UI and CLI: base64 JSON payloads in and out.
 * A payload the codec cannot read (unknown key id, tampered ciphertext, not a payload at all) is
 * the caller's input, answered 400 naming it, never a 500.
 */
export function createCodecService(codec: PayloadCodec) {
  async function each(direction: 'decode' | 'encode', payloads: JsonPayload[]) {
    const out = await Promise.all(
      payloads.map((p, i) =>
        codec[direction]([toPayload(p)]).then(
          ([done]) => ({ done: toJson(done!) }),
          (err: unknown) => ({ error: { path: `payloads.${i}`, message: `cannot be ${direction}d: ${(err as Error).message}` } }),
        ),
      ),
    );
    const errors = out.flatMap((o) => ('error' in o ? [o.error] : []));
    if (errors.length) throw problems.badRequest(`Some payloads could not be ${direction}d.`, errors);
    return { payloads: out.map((o) => ('done' in o ? o.done : {})) };
  }
  return {
    decode: (payloads: JsonPayload[]) => each('decode', payloads),
    encode: (payloads: JsonPayload[]) => each('encode', payloads),
  };
}
