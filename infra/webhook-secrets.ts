import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './payload-codec.ts';

/*
 * A webhook endpoint's signing secret must be usable to sign, so it cannot be hashed: it is stored
 * sealed (AES-256-GCM) with the payload encryption keys, as `<keyId>.<base64 iv|ciphertext|tag>`.
 * A rotation of PAYLOAD_ENCRYPTION_KEYS keeps old secrets readable while their key stays in the ring.
 */

/** A new secret in the Standard Webhooks form: `whsec_` and the base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function sealSecret(ring: KeyRing, secret: string): string {
  const key = ring.keys.get(ring.currentKeyId)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${ring.currentKeyId}.${sealed.toString('base64')}`;
}

export function unsealSecret(ring: KeyRing, sealed: string): string {
  const dot = sealed.indexOf('.');
  const keyId = sealed.slice(0, dot);
  const key = ring.keys.get(keyId);
  if (dot < 1 || !key) throw new Error(`a webhook secret is sealed with key "${keyId}", which PAYLOAD_ENCRYPTION_KEYS no longer holds`);
  const data = Buffer.from(sealed.slice(dot + 1), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8');
}
