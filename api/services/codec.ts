import type { Payload, PayloadCodec } from '@temporalio/common';

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

/** The remote codec protocol of the Temporal Web UI and CLI: base64 JSON payloads in and out. */
export function createCodecService(codec: PayloadCodec) {
  return {
    async decode(payloads: JsonPayload[]) {
      return { payloads: (await codec.decode(payloads.map(toPayload))).map(toJson) };
    },
    async encode(payloads: JsonPayload[]) {
      return { payloads: (await codec.encode(payloads.map(toPayload))).map(toJson) };
    },
  };
}
