import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Role } from '../common/domain.ts';
import { hashSecret, KEY_PATTERN, verifySecret } from '../db/api-keys.ts';
import type { Db } from '../db/client.ts';
import { ALL_KEYS, type KeyChangeFeed } from '../db/key-changes.ts';

/** Who is calling: the agent behind a verified API key (or a console session made from one). */
export interface Caller {
  agentId: string;
  partnerId: string | null;
  role: Role;
  keyPrefix: string;
}

// A hash no key has: an unknown or revoked key is checked against it, so a wrong secret costs one
// scrypt whether or not its prefix exists, and the answer's timing does not tell which.
let decoyHash: Promise<string> | undefined;
const decoy = () => (decoyHash ??= hashSecret('0000000000000000', randomBytes(32).toString('base64url')));

type KeyRow = NonNullable<Awaited<ReturnType<typeof findKeyRow>>>;
const findKeyRow = (db: Db, prefix: string) => db.apiKey.findUnique({ where: { prefix }, include: { agent: true } });

/** What proves a presented key matched a stored hash once: the pair's digest, not the secret. */
const proofOf = (presented: string, row: KeyRow) => createHash('sha256').update(`${presented}\n${row.secretHash}`).digest('base64');
const callerOf = (row: KeyRow, prefix: string): Caller => ({ agentId: row.agentId, partnerId: row.agent.partnerId, role: row.agent.role, keyPrefix: prefix });

/**
 * Resolves a presented key to its caller, or null for anything unknown, revoked or malformed.
 * With a change feed, a key's row read once answers its later requests until the database says
 * the key (or any agent) changed; without one, or while the feed is down, the row is read on every
 * request. Either way a revocation takes effect once it commits (with the feed, when its notice
 * arrives: milliseconds later). The scrypt check of a secret already verified against the same
 * stored hash is remembered too.
 */
export class ApiKeyVerifier {
  private readonly verified = new Set<string>();
  /** scrypt checks run so far: the work a presented key cost, which tests compare across cases. */
  scrypts = 0;
  private readonly rows: LRUCache<string, KeyRow>;
  /** Bumped by every change notice: a row read across one is not remembered. */
  private changes = 0;

  constructor(
    private readonly db: Db,
    private readonly feed?: KeyChangeFeed,
    private readonly maxEntries = 10_000,
  ) {
    this.rows = new LRUCache({ max: maxEntries });
    feed?.subscribe((prefix) => {
      this.changes++;
      if (prefix === ALL_KEYS) this.rows.clear();
      else this.rows.delete(prefix);
    });
  }

  /**
   * The caller of a key this process has already verified, while its row is still trusted (the
   * change feed is live and said nothing of it since): answered from memory, with no read and no
   * scrypt. Null for anything else, which `verify` must then settle.
   */
  known(presented: string): Caller | null {
    const match = KEY_PATTERN.exec(presented);
    if (!match || !this.feed?.live) return null;
    const [, prefix] = match as unknown as [string, string, string];
    const row = this.rows.get(prefix);
    if (!row || row.revokedAt || !this.verified.has(proofOf(presented, row))) return null;
    return callerOf(row, prefix);
  }

  async verify(presented: string): Promise<Caller | null> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const [, prefix, secret] = match as unknown as [string, string, string];
    const row = await this.row(prefix);
    if (!row || row.revokedAt) {
      this.scrypts++;
      await verifySecret(prefix, secret, await decoy());
      return null;
    }
    const proof = proofOf(presented, row);
    if (!this.verified.has(proof)) {
      this.scrypts++;
      if (!(await verifySecret(prefix, secret, row.secretHash))) return null;
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.add(proof);
    }
    return callerOf(row, prefix);
  }

  private async row(prefix: string): Promise<KeyRow | null> {
    if (!this.feed?.live) return findKeyRow(this.db, prefix);
    const known = this.rows.get(prefix);
    if (known) return known;
    const before = this.changes;
    const row = await findKeyRow(this.db, prefix);
    // Unknown prefixes are never kept: a key created later must be found.
    if (row && this.feed.live && this.changes === before) this.rows.set(prefix, row);
    return row;
  }
}
