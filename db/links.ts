import type { DownloadGrant, LinkEndReason, LinkStatus } from '../common/domain.ts';
import { forgetAudit, recordAudit, type AuditEntry } from './audit.ts';
import { isUniqueViolation, Prisma, type Db } from './client.ts';
import type { DownloadLink } from '../generated/prisma/client.ts';
import { batchRows, execute, queryRows } from './statements.ts';
import { batchedWrites } from './batches.ts';

/*
 * The one module that writes `download_links` and `download_events`. A link is one download
 * window of one variant of a subscription, in one of three states:
 *
 *   active   opened by "Get keys and downloads" (openLink); downloads are counted here, one
 *            conditional statement each (countDownloads), or, for windows opened before that
 *            (counted_by_workflow), by the window's workflow and then recorded (createDownloadRecorder).
 *   expired  its deadline passed (reason `time`): marked by expireLapsedLinks (the worker's sweeper,
 *            and readers before they answer); its workflow closes when its timer fires and writes
 *            nothing (windows opened before patch 'link-time-end-closes-at-once' still record it by
 *            recordLinkEnd); or its last download was granted (reason `downloads`): marked
 *            by the statement that counts or records that download, or by recordLinkEnd.
 *   revoked  the purchase was cancelled: revokeSubscriptionLinks, from the refund case workflow.
 *
 * An ended link never opens again. Every end below changes only rows still active, and counters
 * only move forward, so writers that race (the sweeper and a timer, a recorder and the workflow's
 * end) never disagree and any of them may be retried.
 */

export interface NewLink {
  id: string;
  subscriptionId: string;
  variantId: string;
  tokenHash: string;
  workflowId: string;
  maxDownloads: number;
  expiresAt: Date;
  /** When its link.expiring webhook event is due (never before the window opens). */
  expiryNoticeAt?: Date;
}

/**
 * Opens a window, unless one is already open for the subscription's variant (at most one is, by
 * a unique index): then answers that one, with `opened: false`, so concurrent requests share it.
 */
export async function openLink(db: Db, link: NewLink, audit?: AuditEntry): Promise<{ link: DownloadLink; opened: boolean }> {
  try {
    const opened = await db.$transaction(async (tx) => {
      const created = await tx.downloadLink.create({ data: { ...link, status: 'active' } });
      // Who opened it is recorded with it: no window without its entry, no entry without its window.
      if (audit) await recordAudit(tx, audit);
      return created;
    });
    return { link: opened, opened: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const open = await db.downloadLink.findFirstOrThrow({ where: { subscriptionId: link.subscriptionId, variantId: link.variantId, status: 'active' } });
    return { link: open, opened: false };
  }
}

/** Takes back a window whose workflow could not be started: without it, it could never count a download. */
export async function dropLink(db: Db, linkId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await forgetAudit(tx, { type: 'download_link', id: linkId }, 'download_link.open');
    await tx.downloadLink.delete({ where: { id: linkId } });
  });
}

/**
 * Marks windows whose deadline has passed as expired by time (all of them, or one subscription's).
 * Answers how many rows changed.
 */
export function expireLapsedLinks(db: Db, subscriptionId?: string): Promise<number> {
  const scope = subscriptionId ? Prisma.sql`AND subscription_id = ${subscriptionId}::uuid` : Prisma.empty;
  return db.$executeRaw`
    UPDATE download_links
       SET status = 'expired', end_reason = 'time', ended_at = now()
     WHERE status = 'active' AND expires_at <= now() ${scope}`;
}

export interface LinkEnd {
  linkId: string;
  status: Exclude<LinkStatus, 'active'>;
  endReason?: LinkEndReason;
  downloadsUsed: number;
}

/** The end of a window as its workflow saw it. */
export async function recordLinkEnd(db: Db, end: LinkEnd): Promise<void> {
  await db.$executeRaw`
    UPDATE download_links
       SET status = ${end.status}::link_status,
           end_reason = ${end.endReason ?? null}::link_end_reason,
           downloads_used = GREATEST(downloads_used, ${end.downloadsUsed}),
           ended_at = COALESCE(ended_at, now())
     WHERE id = ${end.linkId}::uuid AND status = 'active'`;
}

/**
 * Revokes every open window of a subscription (their tokens answer 410 from now on) and answers
 * the workflows of all its revoked windows, for the refund case to signal.
 */
export async function revokeSubscriptionLinks(db: Db, subscriptionId: string): Promise<string[]> {
  await db.downloadLink.updateMany({ where: { subscriptionId, status: 'active' }, data: { status: 'revoked', endedAt: new Date() } });
  const revoked = await db.downloadLink.findMany({ where: { subscriptionId, status: 'revoked' }, select: { workflowId: true } });
  return revoked.map((l) => l.workflowId);
}

/** A download asked of a window counted here; the answer is its grant, or null when the window has ended. */
export interface DownloadAsked {
  linkId: string;
  clientAddress: string | null;
  userAgent: string | null;
}

/**
 * Counts and records downloads of windows counted in PostgreSQL: each granted download's event and
 * its link's count are written in one statement, which grants nothing past the cap, on a window
 * revoked or ended, or past its deadline (by the database's clock), however many ask at once. The
 * last grant ends the link (reason `downloads`). Downloads that arrive while a statement is on its
 * way go together in the next (db/batches.ts): several of one link take the next sequences in turn.
 * A download asked again is counted again, as a second request for the file is.
 */
export function createDownloadCounter(db: Db): (asked: DownloadAsked) => Promise<DownloadGrant | null> {
  return batchedWrites((asked: DownloadAsked[]) => countDownloads(db, asked));
}

async function countDownloads(db: Db, asked: DownloadAsked[]): Promise<(DownloadGrant | null)[]> {
  const rows = asked.map((a, i) => ({ ord: i, link_id: a.linkId, client_address: a.clientAddress, user_agent: a.userAgent }));
  const granted = await queryRows<{ ord: number; sequence: number; remaining: number }>(db, Prisma.sql`
    WITH input AS (${batchRows(rows, 'ord int, link_id uuid, client_address text, user_agent text')}
    ), window_of AS MATERIALIZED (
      -- Locked in key order by every writer (see the recorder below), and read after the lock: a
      -- concurrent count's commit is seen, and a window it ended is no longer selected.
      SELECT k.id, k.downloads_used AS used, least(k.max_downloads - k.downloads_used, a.asked) AS granted, k.max_downloads
        FROM (SELECT link_id, count(*)::int AS asked FROM input GROUP BY link_id) a
        JOIN download_links k ON k.id = a.link_id
       WHERE k.status = 'active' AND k.expires_at > now() AND k.downloads_used < k.max_downloads AND NOT k.counted_by_workflow
       ORDER BY k.id
         FOR NO KEY UPDATE OF k
    ), grant_of AS (
      SELECT i.ord, i.link_id, w.used + i.nth AS sequence, w.max_downloads - w.used - i.nth AS remaining, i.client_address, i.user_agent
        FROM (SELECT *, row_number() OVER (PARTITION BY link_id ORDER BY ord)::int AS nth FROM input) i
        JOIN window_of w ON w.id = i.link_id
       WHERE i.nth <= w.granted
    ), event AS (
      INSERT INTO download_events (link_id, sequence, client_address, user_agent)
      SELECT link_id, sequence, client_address, user_agent FROM grant_of
    ), counted AS (
      UPDATE download_links l
         SET downloads_used = w.used + w.granted,
             status = CASE WHEN w.used + w.granted >= w.max_downloads THEN 'expired'::link_status ELSE l.status END,
             end_reason = CASE WHEN w.used + w.granted >= w.max_downloads THEN 'downloads'::link_end_reason ELSE l.end_reason END,
             ended_at = CASE WHEN w.used + w.granted >= w.max_downloads THEN now() ELSE l.ended_at END
        FROM window_of w
       WHERE l.id = w.id
    )
    SELECT ord, sequence, remaining FROM grant_of`);
  const byOrd = new Map(granted.map((g) => [g.ord, { sequence: g.sequence, remaining: g.remaining }]));
  return asked.map((_, i) => byOrd.get(i) ?? null);
}

/** One counted download, as its link's workflow granted it. */
export interface DownloadRecord extends DownloadAsked {
  sequence: number;
  remaining: number;
}

/**
 * Writes counted downloads to the read model: each one's event, and its link's counters (the link
 * ends there when a grant leaves nothing). Downloads that arrive while a write is in flight go
 * together in the next one, so under load one statement records many (each statement costs the API
 * and PostgreSQL CPU; a lone download is written at once). `record` resolves once its download is
 * stored, so nothing is answered before it is recorded; when a shared write fails, each download
 * in it is written alone, so only one that cannot be stored fails.
 * Idempotent: an event is unique per link and sequence, and counters only move forward.
 */
export function createDownloadRecorder(db: Db) {
  const record = batchedWrites((records: DownloadRecord[]) => write(db, records).then(() => records.map(() => undefined)));
  return { record };
}

// A prepared statement (db/statements.ts): it is on every counted download's path, before the answer.
function write(db: Db, records: DownloadRecord[]): Promise<number> {
  const rows = records.map((r) => ({ link_id: r.linkId, sequence: r.sequence, remaining: r.remaining, client_address: r.clientAddress, user_agent: r.userAgent }));
  return execute(db, Prisma.sql`
    WITH input AS (${batchRows(rows, 'link_id uuid, sequence int, remaining int, client_address text, user_agent text')}
    ), event AS (
      INSERT INTO download_events (link_id, sequence, client_address, user_agent)
      SELECT link_id, sequence, client_address, user_agent FROM input
      ON CONFLICT (link_id, sequence) DO NOTHING
    ), per_link AS MATERIALIZED (
      -- Links locked in key order by every writer: two processes recording the same links at once
      -- wait on each other instead of deadlocking.
      SELECT p.* FROM (SELECT link_id, max(sequence) AS sequence, bool_or(remaining = 0) AS last FROM input GROUP BY link_id) p
        JOIN download_links k ON k.id = p.link_id
       ORDER BY p.link_id
         FOR NO KEY UPDATE OF k
    )
    UPDATE download_links l
       SET downloads_used = GREATEST(l.downloads_used, p.sequence),
           status = CASE WHEN p.last THEN 'expired'::link_status ELSE l.status END,
           end_reason = CASE WHEN p.last THEN 'downloads'::link_end_reason ELSE l.end_reason END,
           ended_at = CASE WHEN p.last THEN COALESCE(l.ended_at, now()) ELSE l.ended_at END
      FROM per_link p
     WHERE l.id = p.link_id`);
}

/**
 * A resumed download (a Range that does not start at byte 0) is served without counting while the
 * bytes served to resumes stay within one file per counted download: claims `bytes` of that
 * allowance in one statement, so concurrent resumes cannot overdraw it. A window revoked or past
 * its deadline grants nothing; one that ended at its cap still lets its last downloads finish.
 * Returns the downloads left, or null when the allowance (or the window) does not cover it.
 */
export async function claimResumedBytes(db: Db, linkId: string, bytes: number, fileSize: number): Promise<{ remaining: number } | null> {
  const rows = await db.$queryRaw<{ remaining: number }[]>`
    UPDATE download_links
       SET resumed_bytes = resumed_bytes + ${bytes}::bigint
     WHERE id = ${linkId}::uuid
       AND expires_at > now()
       AND (status = 'active' OR (status = 'expired' AND end_reason = 'downloads'))
       AND resumed_bytes + ${bytes}::bigint <= downloads_used::bigint * ${fileSize}::bigint
    RETURNING max_downloads - downloads_used AS remaining`;
  return rows[0] ?? null;
}
