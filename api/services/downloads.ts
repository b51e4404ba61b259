import { createReadStream } from 'node:fs';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Response } from 'express';
import type { Config } from '../../common/config.ts';
import type { DownloadGrant } from '../../common/domain.ts';
import { ErrorType } from '../../common/errors.ts';
import { countDownloadUpdate } from '../../common/messages.ts';
import type { Db } from '../../db/client.ts';
import { ensureMediaFile } from '../../infra/media.ts';
import type { ApiMetrics } from '../metrics.ts';
import { HttpProblem, problems } from '../problem.ts';
import { TOKEN_PATTERN, tokenHash } from './link-tokens.ts';

const NEW_LINK_HINT = 'An admin agent of the partner can select "Get keys and downloads" again to open a new window of downloads.';

function goneProblem(status: string, endReason: string | null | undefined): HttpProblem {
  const why =
    status === 'revoked'
      ? 'This download link was revoked (the purchase was cancelled).'
      : endReason === 'downloads'
        ? 'This download link has reached its maximum number of downloads.'
        : 'This download link has expired.';
  return problems.gone(`${why} ${status === 'revoked' ? '' : NEW_LINK_HINT}`.trim(), { linkStatus: status, reason: endReason ?? (status === 'revoked' ? 'revoked' : 'time') });
}

export function createDownloadService(deps: { db: Db; temporal: Client; config: Config; metrics: ApiMetrics }) {
  const { db, temporal, config, metrics } = deps;

  /** Asks the link's workflow to count one download; its update validator refuses once the window has ended. */
  async function countDownload(workflowId: string): Promise<DownloadGrant | 'ended'> {
    try {
      return await temporal.withDeadline(Date.now() + config.temporal.rpcTimeoutMs, () =>
        temporal.workflow.getHandle(workflowId).executeUpdate(countDownloadUpdate, { args: [{}] }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === ErrorType.LinkEnded) return 'ended';
      // The workflow has finished (the window ended) and no longer takes updates.
      if (err instanceof WorkflowNotFoundError) return 'ended';
      throw err;
    }
  }

  return {
    async download(token: string, client: { address?: string; userAgent?: string }, res: Response): Promise<void> {
      if (!TOKEN_PATTERN.test(token)) {
        metrics.downloads.inc({ result: 'unknown' });
        throw problems.notFound('download link');
      }
      const link = await db.downloadLink.findUnique({ where: { tokenHash: tokenHash(token) }, include: { variant: true } });
      if (!link) {
        metrics.downloads.inc({ result: 'unknown' });
        throw problems.notFound('download link');
      }
      const refuse = (status: string, reason: string | null | undefined) => {
        metrics.downloads.inc({ result: status === 'revoked' ? 'refused_revoked' : 'refused_expired' });
        return goneProblem(status, reason);
      };
      if (link.status !== 'active') throw refuse(link.status, link.endReason);
      if (link.expiresAt.getTime() <= Date.now()) throw refuse('expired', 'time');

      const grant = await countDownload(link.workflowId);
      if (grant === 'ended') {
        const now = await db.downloadLink.findUniqueOrThrow({ where: { id: link.id } });
        throw refuse(now.status === 'active' ? 'expired' : now.status, now.status === 'active' ? 'downloads' : now.endReason);
      }
      // The sequence is unique per link: the read model can never hold more events than the cap.
      await db.downloadEvent.create({
        data: { linkId: link.id, sequence: grant.sequence, clientAddress: client.address ?? null, userAgent: client.userAgent?.slice(0, 500) ?? null },
      });
      await db.$executeRaw`
        UPDATE download_links
           SET downloads_used = GREATEST(downloads_used, ${grant.sequence}),
               status = CASE WHEN ${grant.remaining} = 0 THEN 'expired'::link_status ELSE status END,
               end_reason = CASE WHEN ${grant.remaining} = 0 THEN 'downloads'::link_end_reason ELSE end_reason END,
               ended_at = CASE WHEN ${grant.remaining} = 0 THEN COALESCE(ended_at, now()) ELSE ended_at END
         WHERE id = ${link.id}::uuid`;
      metrics.downloads.inc({ result: 'served' });

      res.setHeader('X-Downloads-Remaining', String(grant.remaining));
      res.setHeader('Cache-Control', 'no-store');
      if (config.downloads.storageUrl) {
        res.redirect(302, `${config.downloads.storageUrl.replace(/\/$/, '')}/${link.variant.productId}/${encodeURIComponent(link.variant.fileName)}`);
        return;
      }
      const media = await ensureMediaFile(config.downloads.filesDir, link.variant);
      res.status(200);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(media.size));
      res.setHeader('Content-Disposition', `attachment; filename="${link.variant.fileName}"`);
      res.setHeader('X-Checksum-SHA256', media.sha256Hex);
      res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(media.sha256Hex, 'hex').toString('base64')}:`);
      await new Promise<void>((resolve, reject) => {
        createReadStream(media.path).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
      });
    },
  };
}
