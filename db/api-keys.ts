import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from './client.ts';

// The one module that writes `api_keys`: keys are created and revoked here (scripts/keys.ts, the demo
// seed); the API's auth (api/auth.ts) only reads them.

const scrypt = promisify(scryptCb) as (password: string, salt: string, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1 };
/** `csp_<prefix>_<secret>`; the API's auth reads keys by it. */
export const KEY_PATTERN = /^csp_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** `csp_<prefix>_<secret>`: the prefix finds the row, the 256-bit secret is checked against its scrypt hash. */
export function formatApiKey(prefix: string, secret: string): string {
  return `csp_${prefix}_${secret}`;
}

export async function hashSecret(prefix: string, secret: string): Promise<string> {
  const derived = await scrypt(secret, `csp-api-key:${prefix}`, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${derived.toString('base64')}`;
}

export async function verifySecret(prefix: string, secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, expected] = stored.split('$');
  if (scheme !== 'scrypt' || !expected) return false;
  const derived = await scrypt(secret, `csp-api-key:${prefix}`, 32, { N: Number(n), r: Number(r), p: Number(p) });
  const want = Buffer.from(expected, 'base64');
  return want.length === derived.length && timingSafeEqual(want, derived);
}

/** Creates a key for an agent; the plain key is returned once and never stored. */
export async function createApiKey(db: Db, agentId: string, options: { id?: string; label?: string; secret?: Buffer; prefix?: string } = {}): Promise<string> {
  const prefix = options.prefix ?? randomBytes(8).toString('hex');
  const secret = (options.secret ?? randomBytes(32)).toString('base64url');
  await db.apiKey.create({
    data: { id: options.id ?? randomUUID(), agentId, prefix, secretHash: await hashSecret(prefix, secret), label: options.label ?? null },
  });
  return formatApiKey(prefix, secret);
}

export async function revokeApiKey(db: Db, prefix: string): Promise<boolean> {
  const { count } = await db.apiKey.updateMany({ where: { prefix, revokedAt: null }, data: { revokedAt: new Date() } });
  return count > 0;
}
