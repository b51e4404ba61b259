import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;

const ENCODING = 'binary/encrypted';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface KeyRing {
  /** Encrypts with this key. */
  currentKeyId: string;
  /** Decrypts with any of these: old keys stay here after a rotation until no history needs them. */
  keys: Map<string, Buffer>;
}

/** `PAYLOAD_ENCRYPTION_KEYS` = "kid:base64key,oldkid:base64key"; the first is current. Each key is 32 bytes. */
export function parseKeyRing(spec: string): KeyRing {
  const keys = new Map<string, Buffer>();
  let currentKeyId: string | undefined;
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [id, b64] = part.split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!id || !/^[A-Za-z0-9._-]{1,64}$/.test(id) || key.length !== 32) {
      throw new Error('PAYLOAD_ENCRYPTION_KEYS must be "keyId:base64(32 bytes)[,oldKeyId:base64(32 bytes)…]"');
    }
    keys.set(id, key);
    currentKeyId ??= id;
  }
  if (!currentKeyId) throw new Error('PAYLOAD_ENCRYPTION_KEYS has no key');
  return { currentKeyId, keys };
}

export function newKeyRingSpec(): string {
  return `k${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
}

/**
 * AES-256-GCM over whole payloads (metadata and data), so product keys, contact details and every
 * other argument are ciphertext in Temporal's history; the key id travels in the metadata.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.ring.currentKeyId;
    const key = this.ring.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: encoder.encode(ENCODING), 'encryption-key-id': encoder.encode(keyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!payload.metadata || decoder.decode(payload.metadata.encoding ?? new Uint8Array()) !== ENCODING) return payload;
      const keyId = decoder.decode(payload.metadata['encryption-key-id'] ?? new Uint8Array());
      const key = this.ring.keys.get(keyId);
      if (!key) throw new Error(`no payload key with id "${keyId}" (was it removed from PAYLOAD_ENCRYPTION_KEYS too early?)`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
