import { randomInt, randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';

export interface IssuedKey {
  authorityKeyId: string;
  value: string;
}

export interface KeyAuthority {
  /** Issues a product key; the same idempotency key returns the same product key. */
  issue(request: { idempotencyKey: string; productId: string }): Promise<IssuedKey>;
  /** Revokes a key; revoking twice is fine. */
  revoke(authorityKeyId: string): Promise<void>;
}

export class KeyAuthorityRefusedError extends Error {
  override name = 'KeyAuthorityRefusedError';
}

/** The alphabet of Microsoft-style product keys: no vowels, no look-alikes (0/O, 1/I, 5/S). */
export const PRODUCT_KEY_ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';
export const PRODUCT_KEY_PATTERN = new RegExp(`^([${PRODUCT_KEY_ALPHABET}]{5}-){4}[${PRODUCT_KEY_ALPHABET}]{5}$`);

export function generateProductKey(): string {
  const groups: string[] = [];
  for (let g = 0; g < 5; g++) {
    let group = '';
    for (let i = 0; i < 5; i++) group += PRODUCT_KEY_ALPHABET[randomInt(PRODUCT_KEY_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/**
 * A local key authority that keeps a register of every key it ever issued in PostgreSQL, so a key
 * is never handed out twice. `refuses` lets a deployment (or a test) model products the authority
 * has no keys for.
 */
export class LocalKeyAuthority implements KeyAuthority {
  constructor(
    private readonly db: Db,
    private readonly refuses: (productId: string) => boolean = () => false,
  ) {}

  async issue(request: { idempotencyKey: string; productId: string }): Promise<IssuedKey> {
    const existing = await this.db.authorityKey.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
    if (existing) return { authorityKeyId: existing.id, value: existing.value };
    if (this.refuses(request.productId)) throw new KeyAuthorityRefusedError(`no keys available for product ${request.productId}`);
    for (;;) {
      try {
        const created = await this.db.authorityKey.create({
          data: {
            id: `key_${randomUUID().replace(/-/g, '')}`,
            idempotencyKey: request.idempotencyKey,
            productId: request.productId,
            value: generateProductKey(),
            status: 'issued',
          },
        });
        return { authorityKeyId: created.id, value: created.value };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // Either a concurrent call with the same idempotency key won, or the random value collided.
        const raced = await this.db.authorityKey.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
        if (raced) return { authorityKeyId: raced.id, value: raced.value };
      }
    }
  }

  async revoke(authorityKeyId: string): Promise<void> {
    await this.db.authorityKey.updateMany({
      where: { id: authorityKeyId, status: 'issued' },
      data: { status: 'revoked', revokedAt: new Date() },
    });
  }
}
