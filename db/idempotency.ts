import { Prisma, type Db } from './client.ts';
import { batchRows, execute, queryRows } from './statements.ts';
import { batchedWrites } from './batches.ts';

/*
 * The one module that writes `idempotency_records`, for the Idempotency-Key middleware
 * (api/idempotency.ts). A record is claimed by the first request with its key (created_at is the
 * claim's stamp); only the holder of that stamp settles it: completed with the answer to replay,
 * given up (deleted) after a 4xx, or left bound to its body with its lease given up after a 5xx.
 * A retry takes over a claim whose lease ran out by moving the stamp (compare-and-set). The claim
 * and the completion run on every creating POST, so they are prepared statements (db/statements.ts),
 * shared by the requests that arrive together (createIdempotencyWrites); an order's claim is part of
 * the order's own statement (claimOnceSql, in db/orders.ts), and completed there with its answer.
 */

/** The claim a request holds: settling it changes the record only while the stamp is still this one. */
export interface IdempotencyClaim {
  agentId: string;
  key: string;
  createdAt: Date;
}

export interface IdempotencyRecord {
  requestHash: string;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: unknown;
  createdAt: Date;
  completedAt: Date | null;
}

/** What a retry with the key is answered: the first answer, as it was sent. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface ClaimRequest {
  claim: IdempotencyClaim;
  method: string;
  path: string;
  requestHash: string;
  /**
   * The answer, when it is known before the request's work is done (an order's: 202 and its id),
   * stored with the claim: the claim is completed as it is taken.
   */
  answer?: StoredAnswer;
}

export interface ClaimAnswer extends StoredAnswer {
  claim: IdempotencyClaim;
}

/**
 * The claim and the completion run on every creating POST: requests that arrive while one of them
 * is on its way go together in the next statement (db/batches.ts), one per process and database.
 * `claim` answers false when a record for the key already exists (or an earlier request of the
 * same batch claimed it first); `complete` stores the answer to replay, before it is sent.
 */
export function createIdempotencyWrites(db: Db) {
  return {
    claim: batchedWrites((requests: ClaimRequest[]) => claimKeys(db, requests)),
    complete: batchedWrites((answers: ClaimAnswer[]) => completeClaims(db, answers).then(() => answers.map(() => undefined))),
  };
}
export type IdempotencyWrites = ReturnType<typeof createIdempotencyWrites>;

const claimId = (c: { agentId: string; key: string }) => `${c.agentId.toLowerCase()}\n${c.key}`;

/**
 * The claims as a statement to run inside a larger one (the order's, so an order and its key are
 * claimed in one round trip and one transaction): each key inserted unless a record holds it
 * already, answering the keys it claimed (`agent_id`, `key`). At most one claim per key. A claim
 * with its answer is completed as it is taken.
 */
export function claimOnceSql(claims: ClaimRequest[]): Prisma.Sql {
  const rows = claims.map((r) => ({
    agent_id: r.claim.agentId,
    key: r.claim.key,
    method: r.method,
    path: r.path,
    request_hash: r.requestHash,
    created_at: r.claim.createdAt.toISOString(),
    status: r.answer?.status ?? null,
    headers: r.answer?.headers ?? null,
    body: r.answer ? (r.answer.body ?? null) : null,
  }));
  return Prisma.sql`
      INSERT INTO idempotency_records (agent_id, key, method, path, request_hash, created_at, response_status, response_headers, response_body, completed_at)
      SELECT agent_id, key, method, path, request_hash, created_at, status, headers, CASE WHEN status IS NULL THEN NULL ELSE coalesce(body, 'null'::jsonb) END,
             CASE WHEN status IS NULL THEN NULL ELSE now() END
        FROM (${batchRows(rows, 'agent_id uuid, key text, method text, path text, request_hash text, created_at timestamptz, status int, headers jsonb, body jsonb')}) AS x
       -- Keys locked in one order by every process, so two batches that share keys cannot deadlock.
       ORDER BY agent_id, key
      ON CONFLICT DO NOTHING
      RETURNING agent_id, key`;
}

async function claimKeys(db: Db, requests: ClaimRequest[]): Promise<boolean[]> {
  // A key twice in one batch: its first request claims it, the other finds it claimed.
  const first = new Map<string, ClaimRequest>();
  for (const r of requests) if (!first.has(claimId(r.claim))) first.set(claimId(r.claim), r);
  const inserted = await queryRows<{ agent_id: string; key: string }>(db, Prisma.sql`WITH claimed AS (${claimOnceSql([...first.values()])}) SELECT agent_id::text AS agent_id, key FROM claimed`);
  const claimed = new Set(inserted.map((r) => claimId({ agentId: r.agent_id, key: r.key })));
  return requests.map((r) => first.get(claimId(r.claim)) === r && claimed.has(claimId(r.claim)));
}

/**
 * Stores the answers once they are sent (requests whose route stores none with its claim): each
 * settles the record only while its claim's stamp is still the one the record holds.
 */
async function completeClaims(db: Db, answers: ClaimAnswer[]): Promise<void> {
  const rows = answers.map((a) => ({ agent_id: a.claim.agentId, key: a.claim.key, created_at: a.claim.createdAt.toISOString(), status: a.status, headers: a.headers, body: a.body ?? null }));
  await execute(
    db,
    Prisma.sql`
      UPDATE idempotency_records r
         SET response_status = x.status, response_headers = x.headers, response_body = coalesce(x.body, 'null'::jsonb), completed_at = now()
        FROM (${batchRows(rows, 'agent_id uuid, key text, created_at timestamptz, status int, headers jsonb, body jsonb')}) AS x
       WHERE r.agent_id = x.agent_id AND r.key = x.key AND r.created_at = x.created_at`,
  );
}

/** Refused before it changed anything: a corrected retry may use the key. */
export async function releaseClaim(db: Db, claim: IdempotencyClaim): Promise<void> {
  await db.idempotencyRecord.deleteMany({ where: claim });
}

/** Failed part-way: the key stays bound to this body, and a retry of it may take it over at once. */
export async function abandonClaim(db: Db, claim: IdempotencyClaim): Promise<void> {
  await db.idempotencyRecord.updateMany({ where: claim, data: { createdAt: new Date(0) } });
}

export async function findRecord(db: Db, agentId: string, key: string): Promise<IdempotencyRecord | null> {
  const record = await db.idempotencyRecord.findUnique({ where: { agentId_key: { agentId, key } } });
  return record && { ...record, responseHeaders: record.responseHeaders as Record<string, string> | null };
}

/** Takes over a claim whose lease ran out, if no other retry moved its stamp first. */
export async function takeOverClaim(db: Db, claim: IdempotencyClaim, previousStamp: Date): Promise<boolean> {
  const taken = await db.idempotencyRecord.updateMany({ where: { agentId: claim.agentId, key: claim.key, completedAt: null, createdAt: previousStamp }, data: { createdAt: claim.createdAt } });
  return taken.count === 1;
}
