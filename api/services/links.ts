import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Config } from '../../common/config.ts';
import type { LinkInput } from '../../common/domain.ts';
import { workflowIds } from '../../common/ids.ts';
import type { Caller } from '../auth.ts';
import type { Db } from '../../db/client.ts';
import { dropLink, expireLapsedLinks, openLink } from '../../db/links.ts';
import type { DownloadLink, ProductVariant } from '../../generated/prisma/client.ts';
import type { linkWorkflow } from '../../workflows/link.ts';
import type { Secrets } from '../context.ts';
import type { ApiMetrics } from '../metrics.ts';
import { auditEntry } from './audit.ts';
import type { PageRequest } from '../../common/paging.ts';
import { asTime, keyset, pageOf, type Keyset } from './paging.ts';
import { createLinkDownloads } from './link-downloads.ts';
import { linkToken, tokenHash } from './link-tokens.ts';
import type { Rpc } from './rpc.ts';
import type { Logger } from '../../common/logger.ts';

/**
 * Download links: a window of `DOWNLOAD_TTL` or `MAX_DOWNLOADS` for one variant of a subscription.
 * Opening one (and its link workflow), showing it, and serving its downloads (link-downloads.ts).
 */
const LINK_HISTORY: Keyset<DownloadLink> = { list: 'links', field: 'createdAt', direction: 'desc', at: (l) => l.createdAt.toISOString(), id: (l) => l.id, parse: asTime };

export function createLinkService(deps: { db: Db; temporal: Client; config: Config; secrets: Secrets; metrics: ApiMetrics; rpc: Rpc; logger: Logger }) {
  const { db, temporal, config, secrets, rpc } = deps;
  const downloadUrl = (linkId: string) => `${config.publicBaseUrl}/v1/downloads/${linkToken(secrets.linkToken, linkId)}`;

  return {
    ...createLinkDownloads(deps),

    /** A window as callers see it; the URL only when asked for (admin agents) and only while it is open. */
    view(link: DownloadLink & { variant?: ProductVariant }, withUrl: boolean) {
      return {
        linkId: link.id,
        ...(withUrl && link.status === 'active' ? { url: downloadUrl(link.id) } : {}),
        ...(link.variant ? { version: link.variant.version, language: link.variant.language, fileType: link.variant.fileType } : {}),
        expiresAt: link.expiresAt.toISOString(),
        downloadsUsed: link.downloadsUsed,
        maxDownloads: link.maxDownloads,
        status: link.status,
        endReason: link.endReason,
      };
    },

    /** Every window ever opened for the subscription, newest first; the URL only for admins, only while open. */
    async history(subscriptionId: string, withUrl: boolean, page: PageRequest) {
      await expireLapsedLinks(db, subscriptionId);
      const k = keyset(LINK_HISTORY, page);
      const rows = await db.downloadLink.findMany({ where: { subscriptionId, ...k.where }, include: { variant: true }, orderBy: k.orderBy, take: k.take });
      return pageOf(rows, LINK_HISTORY, page, (l) => ({
        linkId: l.id,
        variant: { version: l.variant.version, language: l.variant.language, fileType: l.variant.fileType },
        openedAt: l.createdAt.toISOString(),
        expiresAt: l.expiresAt.toISOString(),
        endedAt: l.endedAt?.toISOString() ?? null,
        status: l.status,
        endReason: l.status === 'revoked' ? 'revoked' : l.endReason,
        downloadsUsed: l.downloadsUsed,
        maxDownloads: l.maxDownloads,
        ...(withUrl && l.status === 'active' ? { url: downloadUrl(l.id) } : {}),
      }));
    },

    /** The subscription's open windows, after marking the ones whose deadline has passed. */
    async openLinks(subscriptionId: string) {
      await expireLapsedLinks(db, subscriptionId);
      return db.downloadLink.findMany({ where: { subscriptionId, status: 'active' }, include: { variant: true }, orderBy: { createdAt: 'asc' } });
    },

    /**
     * The variant's open window, or a new one (with its workflow) once the previous one has ended.
     * Concurrent requests share one window.
     */
    async openOrReuse(caller: Caller, subscriptionId: string, variantId: string): Promise<DownloadLink> {
      await expireLapsedLinks(db, subscriptionId);
      const open = await db.downloadLink.findFirst({ where: { subscriptionId, variantId, status: 'active' } });
      if (open) return open;
      const linkId = randomUUID();
      const expiresAt = new Date(Date.now() + config.downloads.ttlMs);
      const { link, opened } = await openLink(
        db,
        {
          id: linkId,
          subscriptionId,
          variantId,
          tokenHash: tokenHash(linkToken(secrets.linkToken, linkId)),
          workflowId: workflowIds.link(linkId),
          maxDownloads: config.downloads.maxDownloads,
          expiresAt,
          // link.expiring goes out then (the database schedules it with the window's link.opened).
          expiryNoticeAt: new Date(expiresAt.getTime() - config.webhooks.linkExpiringNoticeMs),
        },
        auditEntry(caller, 'download_link.open', { type: 'download_link', id: linkId }, { subscriptionId, variantId }),
      );
      if (!opened) return link;
      // Its row counts its downloads (counted_by_workflow is false on every row opened now).
      const input: LinkInput = { linkId, subscriptionId, variantId, maxDownloads: link.maxDownloads, expiresAt: expiresAt.toISOString(), countsInDatabase: true };
      try {
        await rpc(() =>
          temporal.workflow.start<typeof linkWorkflow>('linkWorkflow', {
            taskQueue: config.temporal.interactiveTaskQueue,
            workflowId: link.workflowId,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          }),
        );
      } catch (err) {
        await dropLink(db, linkId);
        throw err;
      }
      return link;
    },
  };
}

export type LinkService = ReturnType<typeof createLinkService>;
