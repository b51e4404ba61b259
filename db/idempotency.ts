import { Prisma, type Db } from './client.ts';
import { execute } from './statements.ts';

/*
 * The one module that writes `idempotency_records`, for the Idempotency-Key middleware
 * (api/idempotency.ts). A record is claimed by the first request with its key (created_at is the
 * claim's stamp); only the holder of that stamp settles it: completed with the answer to replay,
 * given up (deleted) after a 4xx, or left bound to its body with its lease given up after a 5xx.
 * A retry takes over a claim whose lease ran out by moving the stamp (compare-and-set). The claim
 * and the completion run on every creating POST, so they are prepared statements (db/statements.ts).
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

/** Claims the key for this request; false when a record for it already exists. */
export async function claimKey(db: Db, claim: IdempotencyClaim, request: { method: string; path: string; requestHash: string }): Promise<boolean> {
  const inserted = await execute(
    db,
    Prisma.sql`INSERT INTO idempotency_records (agent_id, key, method, path, request_hash, created_at)
               VALUES (${claim.agentId}::uuid, ${claim.key}, ${request.method}, ${request.path}, ${request.requestHash}, ${claim.createdAt})
               ON CONFLICT DO NOTHING`,
  );
  return inserted === 1;
}

/** The answer to replay to the same request: stored before it is sent. */
export async function completeClaim(db: Db, claim: IdempotencyClaim, response: { status: number; headers: Record<string, string>; body: unknown }): Promise<void> {
  await execute(
    db,
    Prisma.sql`UPDATE idempotency_records
                  SET response_status = ${response.status}::int, response_headers = ${JSON.stringify(response.headers)}::jsonb,
                      response_body = ${JSON.stringify(response.body ?? null)}::jsonb, completed_at = now()
                WHERE agent_id = ${claim.agentId}::uuid AND key = ${claim.key} AND created_at = ${claim.createdAt}`,
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
