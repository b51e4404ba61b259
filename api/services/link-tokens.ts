import { createHash, createHmac } from 'node:crypto';

/**
 * A link's token is an HMAC of its id under a server secret: 256 unguessable bits, and the same
 * link can hand back the same URL while only the token's SHA-256 is stored.
 */
export function linkToken(secret: string, linkId: string): string {
  return createHmac('sha256', secret).update(`download-link:${linkId}`).digest('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
