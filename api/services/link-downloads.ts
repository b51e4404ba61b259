import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Request } from 'express';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../common/config.ts';
import type { DownloadGrant } from '../../common/domain.ts';
import { ErrorType } from '../../common/errors.ts';
import { countDownloadUpdate, linkUsedUpSignal } from '../../common/messages.ts';
import type { Logger } from '../../common/logger.ts';
import { recordAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { claimResumedBytes, createDownloadCounter, createDownloadRecorder, expireLapsedLinks, type DownloadAsked } from '../../db/links.ts';
import { isUnreachable } from '../../infra/outage.ts';
import { ensureMediaFile, type MediaFile } from '../../infra/media.ts';
import { isResume, rangeLength, readDownloadAsk, type DownloadAsk } from './link-ranges.ts';
import type { ApiMetrics } from '../metrics.ts';
import type { Reply } from '../reply.ts';
import { endedLinkPage } from '../console/pages/errors.ts';
import { HttpProblem, problems } from '../problem.ts';
import { TOKEN_PATTERN, tokenHash } from './link-tokens.ts';
import type { Rpc } from './rpc.ts';

const NEW_LINK_HINT = 'An admin agent of the partner can select "Get keys and downloads" again to open a new window of downloads.';

function goneProblem(status: string, endReason: string | null | undefined): HttpProblem {
  const why =
    status === 'revoked'
      ? 'This download link was revoked (the purchase was cancelled).'
      : endReason === 'downloads'
        ? 'This download link has reached its maximum number of downloads.'
        : 'This download link has expired.';
  const reason = status === 'revoked' ? 'revoked' : endReason === 'downloads' ? 'downloads' : 'time';
  return problems.gone(reason === 'revoked' ? 'link-revoked' : reason === 'downloads' ? 'link-used-up' : 'link-expired', `${why} ${status === 'revoked' ? '' : NEW_LINK_HINT}`.trim(), { linkStatus: status, reason: endReason ?? reason, page: endedLinkPage(reason) });
}

type LinkRow = NonNullable<Awaited<ReturnType<typeof findLinkRow>>>;
const findLinkRow = (db: Db, hash: string) => db.downloadLink.findUnique({ where: { tokenHash: hash }, include: { variant: true } });

export function createLinkDownloads(deps: { db: Db; temporal: Client; config: Config; metrics: ApiMetrics; rpc: Rpc; logger: Logger }) {
  const { db, temporal, config, metrics, rpc, logger } = deps;
  // A link's token, workflow, file and deadline never change, and an ended link never opens again,
  // so a row read once answers that token's later downloads without a database read. Every count is
  // still judged where it is made (the row's statement, or an older window's workflow): a link
  // ended since (at its cap, or revoked) is refused there and read again. Unknown tokens are never kept.
  const links = new LRUCache<string, LinkRow>({ max: 10_000 });
  const recorder = createDownloadRecorder(db);
  const counter = createDownloadCounter(db);
  const endedAs = (hash: string, link: LinkRow, status: LinkRow['status'], endReason: LinkRow['endReason']) => links.set(hash, { ...link, status, endReason });

  /**
   * Counts one download of a window opened before downloads were counted in PostgreSQL, and records
   * it: its workflow counts it by an update, whose validator refuses once the window has ended.
   * The update id stays the same across retries, so a download is counted at most once even when
   * an answer is lost on the way back.
   */
  async function countByWorkflow(link: LinkRow, asked: DownloadAsked): Promise<DownloadGrant | null> {
    const grant = await updateWorkflow(link.workflowId);
    // Recorded before answering; concurrent downloads share one statement (db/links.ts).
    if (grant) await recorder.record({ ...asked, sequence: grant.sequence, remaining: grant.remaining });
    return grant;
  }

  async function updateWorkflow(workflowId: string): Promise<DownloadGrant | null> {
    const handle = temporal.workflow.getHandle(workflowId);
    const updateId = randomUUID();
    const giveUpAt = Date.now() + 3 * config.temporal.rpcTimeoutMs;
    for (;;) {
      try {
        return await rpc(
          () =>
            handle.executeUpdate(countDownloadUpdate, { args: [{}], updateId }),
          { notAfter: giveUpAt },
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === ErrorType.LinkEnded) return null;
        if (err instanceof WorkflowNotFoundError) return null;
        // Temporal is down: say so now (503) rather than after every retry's deadline.
        if (isUnreachable(err)) throw err;
        // The workflow may have closed with this update still queued ("aborted"): a closed window counts nothing more.
        const closed = await handle.describe().then(
          (d) => d.status.name !== 'RUNNING',
          () => false,
        );
        if (closed) return null;
        if (Date.now() >= giveUpAt) throw problems.unavailable('The download counter did not answer in time; try again.');
      }
    }
  }

  /**
   * Counts and records one download in PostgreSQL (db/links.ts). The last one tells the window's
   * workflow it may close, without holding up the file: the row already refuses the next download,
   * so if Temporal cannot be reached the workflow simply closes at its deadline instead.
   */
  async function countInDatabase(link: LinkRow, asked: DownloadAsked): Promise<DownloadGrant | null> {
    const grant = await counter(asked);
    if (grant?.remaining === 0) {
      void rpc(() => temporal.workflow.getHandle(link.workflowId).signal(linkUsedUpSignal, { downloadsUsed: grant.sequence })).catch((err: unknown) =>
        logger.warn({ err: (err as Error).message, linkId: link.id }, 'could not tell a used-up window’s workflow; it closes at its deadline'),
      );
    }
    return grant;
  }

  const fail = (status: string, reason: string | null | undefined) => {
    metrics.downloads.inc({ result: status === 'revoked' ? 'refused_revoked' : 'refused_expired' });
    return goneProblem(status, reason);
  };

  return {
    /**
     * Serves a download link: HEAD answers the headers and counts nothing; a request from the first
     * byte counts one download; a Range that starts later resumes one (free within the allowance of
     * claimResumedBytes, counted otherwise). Dead links answer 410 with why. Answers what to send;
     * the router writes it.
     */
    async download(token: string, req: Request): Promise<Reply> {
      const client = { address: req.ip, userAgent: req.get('user-agent') };
      if (!TOKEN_PATTERN.test(token)) {
        metrics.downloads.inc({ result: 'unknown' });
        throw problems.notFound('download link');
      }
      const hash = tokenHash(token);
      let link = links.get(hash);
      if (!link) {
        link = (await findLinkRow(db, hash)) ?? undefined;
        if (link) links.set(hash, link);
      }
      if (!link) {
        metrics.downloads.inc({ result: 'unknown' });
        throw problems.notFound('download link');
      }
      const size = link.variant.sizeBytes;
      const known = link;
      /** A download of a dead window: refused (410), and left in the trail with who asked. */
      const refused = async (status: string, reason: string | null | undefined) => {
        await recordAudit(db, {
          agentId: null,
          partnerId: null,
          action: 'download.refuse',
          target: { type: 'download_link', id: known.id },
          data: { reason: status === 'revoked' ? 'revoked' : (reason ?? 'time'), address: client.address ?? null, userAgent: client.userAgent?.slice(0, 500) ?? null },
        });
        return fail(status, reason);
      };
      const lapsed = link.expiresAt.getTime() <= Date.now();
      // Have the file ready before counting, so a counted download is always a served one.
      const mediaFor = (l: LinkRow) => (config.downloads.storageUrl ? Promise.resolve(undefined) : ensureMediaFile(config.downloads.filesDir, l.variant));
      const etagOf = (media: MediaFile | undefined) => (media ? `"${media.sha256Hex}"` : undefined);
      const serve = (status: 200 | 206, ask: DownloadAsk, remaining: number, media: MediaFile | undefined): Reply => {
        const headers: Record<string, string> = { 'X-Downloads-Remaining': String(remaining), 'Cache-Control': 'no-store', 'Accept-Ranges': 'bytes' };
        if (!media) return { status: 302, headers, redirect: `${config.downloads.storageUrl!.replace(/\/$/, '')}/${link.variant.productId}/${encodeURIComponent(link.variant.fileName)}` };
        const range = ask.kind === 'range' ? ask : undefined;
        Object.assign(headers, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(range ? rangeLength(range) : media.size),
          ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${media.size}` } : {}),
          'Content-Disposition': `attachment; filename="${link.variant.fileName}"`,
          ETag: etagOf(media)!,
          'X-Checksum-SHA256': media.sha256Hex,
          'Repr-Digest': `sha-256=:${Buffer.from(media.sha256Hex, 'hex').toString('base64')}:`,
        });
        return { status: range ? 206 : status, headers, file: { path: media.path, range }, headersOnly: ask.kind === 'head' };
      };

      if (req.method === 'HEAD') {
        if (link.status !== 'active' || lapsed) throw goneProblem(lapsed && link.status === 'active' ? 'expired' : link.status, lapsed ? 'time' : link.endReason);
        const [media, now] = await Promise.all([mediaFor(link), db.downloadLink.findUniqueOrThrow({ where: { id: link.id } })]);
        return serve(200, { kind: 'head' }, now.maxDownloads - now.downloadsUsed, media);
      }

      // A window that ended by its cap may still finish its downloads by resuming; any other end is final.
      const resumable = !lapsed && (link.status === 'active' || link.endReason === 'downloads');
      if (!resumable) throw link.status !== 'active' ? await refused(link.status, link.endReason) : await refused('expired', 'time');
      // The file and the request's range are read once, for the resume and for the count alike.
      const media = await mediaFor(link);
      const ask = readDownloadAsk(req, size, etagOf(media));
      if (isResume(ask)) {
        const claimed = await claimResumedBytes(db, link.id, rangeLength(ask), size);
        if (claimed) {
          metrics.downloads.inc({ result: 'resumed' });
          return serve(206, ask, claimed.remaining, media);
        }
      }
      if (link.status !== 'active') throw await refused(link.status, link.endReason);
      if (ask.kind === 'unsatisfiable') {
        throw new HttpProblem('range-not-satisfiable', `The file is ${size} bytes long; ask for a range within it.`, { headers: { 'Content-Range': `bytes */${size}` } });
      }
      const asked: DownloadAsked = { linkId: link.id, clientAddress: client.address ?? null, userAgent: client.userAgent?.slice(0, 500) ?? null };
      const grant = await (link.countedByWorkflow ? countByWorkflow(link, asked) : countInDatabase(link, asked));
      if (!grant) {
        // A window whose deadline passed while this download was on its way (its count refused by
        // the database's clock, or its workflow closed by its timer) may not be swept yet: mark it
        // as every reader does, so the answer says it ended by time.
        await expireLapsedLinks(db, link.subscriptionId);
        const now = await db.downloadLink.findUniqueOrThrow({ where: { id: link.id } });
        if (now.status !== 'active') endedAs(hash, link, now.status, now.endReason);
        throw await refused(now.status === 'active' ? 'expired' : now.status, now.status === 'active' ? 'downloads' : now.endReason);
      }
      if (grant.remaining === 0) endedAs(hash, link, 'expired', 'downloads');
      metrics.downloads.inc({ result: 'served' });
      return serve(200, ask, grant.remaining, media);
    },
  };
}
