import type { Logger } from '../common/logger.ts';
import type { Db } from '../db/client.ts';
import { expireLapsedLinks } from '../db/links.ts';

/**
 * Marks windows whose deadline has passed as expired in the read model, every `intervalMs`: this
 * is what records a window's end by time (its workflow closes when its timer fires and writes
 * nothing), so what partners and operations see is exact within a sweep however many windows end
 * in the same minute. Downloads are refused at the deadline anyway (the API checks `expires_at`
 * first). Windows opened before that change still record the end when their timer fires; that
 * write changes only rows still active, so the two never disagree.
 * Any number of workers may run it: the UPDATE is idempotent.
 */
export function startLinkSweeper(db: Db, logger: Logger, intervalMs = 1000): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    try {
      const marked = await expireLapsedLinks(db);
      if (marked > 0) logger.debug({ marked }, 'expired download windows marked');
    } catch (err) {
      // The database may be away for a while; the next sweep tries again.
      logger.warn({ err: (err as Error).message }, 'link sweep failed');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(sweep);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
