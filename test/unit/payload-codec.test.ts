import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, parseKeyRing } from '../../infra/payload-codec.ts';

const key = () => randomBytes(32).toString('base64');

describe('payload encryption codec', () => {
  const secret = { productKey: 'BCDFG-HJKMP-QRTVW-XY234-6789B', contact: 'ana@example.com' };
  const payload = defaultPayloadConverter.toPayload(secret);

  test('encrypts with AES-256-GCM and names the key in the metadata', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`k1:${key()}`));
    const [encoded] = await codec.encode([payload]);
    const text = Buffer.from(encoded!.data!).toString('latin1');
    assert.ok(!text.includes('BCDFG') && !text.includes('ana@example.com'));
    assert.equal(Buffer.from(encoded!.metadata!['encryption-key-id']!).toString(), 'k1');
    const [decoded] = await codec.decode([encoded!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), secret);
  });

  test('after a rotation, decrypts with the old key and encrypts with the new one', async () => {
    const oldKey = key();
    const before = new EncryptionCodec(parseKeyRing(`old:${oldKey}`));
    const after = new EncryptionCodec(parseKeyRing(`new:${key()},old:${oldKey}`));
    const [fromBefore] = await before.encode([payload]);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await after.decode([fromBefore!]))[0]!), secret);
    const [fromAfter] = await after.encode([payload]);
    assert.equal(Buffer.from(fromAfter!.metadata!['encryption-key-id']!).toString(), 'new');
    await assert.rejects(before.decode([fromAfter!]), /no payload key with id "new"/);
  });

  test('refuses tampered ciphertext and passes unencrypted payloads through', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`k1:${key()}`));
    const [encoded] = await codec.encode([payload]);
    const tampered = Buffer.from(encoded!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...encoded!, data: tampered }]), /unable to authenticate data/);
    assert.deepEqual(await codec.decode([payload]), [payload]);
  });

  test('rejects a malformed key ring', () => {
    assert.throws(() => parseKeyRing('k1:short'), /PAYLOAD_ENCRYPTION_KEYS/);
    assert.throws(() => parseKeyRing(''), /no key/);
  });
});
