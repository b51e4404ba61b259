import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApiKeyVerifier, Caller } from '../auth.ts';
import type { Db } from '../../db/client.ts';

export interface ConsoleSession {
  id: string;
  caller: Caller;
  agentName: string;
  csrfToken: string;
  expiresAt: Date;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Server-side sessions of the web console. Signing in takes an API key once; the browser then
 * holds only a random session token. The key's row is joined on every request, so revoking the
 * key ends its sessions at once, exactly as it does for the API.
 */
export function createSessionStore(db: Db, verifier: ApiKeyVerifier, ttlMs: number) {
  return {
    async signIn(presentedKey: string): Promise<{ token: string; session: ConsoleSession } | null> {
      const caller = await verifier.verify(presentedKey.trim());
      if (!caller) return null;
      const key = await db.apiKey.findUniqueOrThrow({ where: { prefix: caller.keyPrefix }, include: { agent: true } });
      const token = randomBytes(32).toString('base64url');
      const now = new Date();
      const row = await db.consoleSession.create({
        data: { id: randomUUID(), tokenHash: digest(token), apiKeyId: key.id, csrfToken: randomBytes(32).toString('base64url'), expiresAt: new Date(now.getTime() + ttlMs) },
      });
      // Housekeeping on the rare path: sign-ins are few, expired rows are useless.
      await db.consoleSession.deleteMany({ where: { expiresAt: { lt: now } } });
      return { token, session: { id: row.id, caller, agentName: key.agent.name, csrfToken: row.csrfToken, expiresAt: row.expiresAt } };
    },

    async resolve(token: string | undefined): Promise<ConsoleSession | null> {
      if (!token || token.length > 100) return null;
      const row = await db.consoleSession.findUnique({ where: { tokenHash: digest(token) }, include: { apiKey: { include: { agent: true } } } });
      if (!row || row.expiresAt <= new Date() || row.apiKey.revokedAt) return null;
      const agent = row.apiKey.agent;
      return {
        id: row.id,
        caller: { agentId: agent.id, partnerId: agent.partnerId, role: agent.role, keyPrefix: row.apiKey.prefix },
        agentName: agent.name,
        csrfToken: row.csrfToken,
        expiresAt: row.expiresAt,
      };
    },

    async signOut(sessionId: string): Promise<void> {
      await db.consoleSession.deleteMany({ where: { id: sessionId } });
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** Constant-time comparison of a submitted CSRF token with the expected one. */
export function sameToken(submitted: unknown, expected: string): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
