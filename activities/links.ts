import type { Db } from '../db/client.ts';
import { recordLinkEnd, revokeSubscriptionLinks, type LinkEnd } from '../db/links.ts';

/** The link workflow's and the refund case's writes to download windows (db/links.ts says who moves a link when). */
export function createLinkActivities({ db }: { db: Db }) {
  return {
    /** Writes the end of a window; only an active row changes, so a retry is harmless. */
    async markLinkEnded(request: LinkEnd): Promise<void> {
      await recordLinkEnd(db, request);
    },

    /** Revokes the subscription's open windows and answers the workflows of all its revoked ones, for the caller to signal. */
    async revokeSubscriptionLinks(request: { subscriptionId: string }): Promise<{ linkWorkflowIds: string[] }> {
      return { linkWorkflowIds: await revokeSubscriptionLinks(db, request.subscriptionId) };
    },
  };
}

export type LinkActivities = ReturnType<typeof createLinkActivities>;
