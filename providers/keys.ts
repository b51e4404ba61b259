import { randomInt, randomUUID } from 'node:crypto';
import { Prisma, type Db } from '../db/client.ts';
import { insertOnce, queryRows } from '../db/statements.ts';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

const findByIdempotencyKey = (idempotencyKey: string) => Prisma.sql`SELECT id AS "authorityKeyId", value FROM authority_keys WHERE idempotency_key = ${idempotencyKey}`;

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
    if (this.refuses(request.productId)) {
      const [existing] = await queryRows<IssuedKey>(this.db, findByIdempotencyKey(request.idempotencyKey));
      if (existing) return existing;
      throw new KeyAuthorityRefusedError(`no keys available for product ${request.productId}`);
    }
    for (;;) {
      try {
        // Issued once per idempotency key: a second call, or a concurrent one, gets the first one's key.
        const key = await insertOnce<IssuedKey>(
          this.db,
          Prisma.sql`INSERT INTO authority_keys (id, idempotency_key, product_id, value, status)
                     VALUES (${`key_${randomUUID().replace(/-/g, '')}`}, ${request.idempotencyKey}, ${request.productId}, ${generateProductKey()}, 'issued')
                     ON CONFLICT (idempotency_key) DO NOTHING
                     RETURNING id AS "authorityKeyId", value`,
          findByIdempotencyKey(request.idempotencyKey),
        );
        if (key) return key;
      } catch (err) {
        // The random value collided with another key's: draw again.
        if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
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
