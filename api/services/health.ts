import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client.ts';

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  // A check that outlives the timeout still settles later: keep its rejection from going unhandled.
  const running = check();
  running.catch(() => undefined);
  try {
    await Promise.race([running, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthService(deps: { db: Db; temporal: Client }) {
  return {
    async readiness() {
      const [database, temporal] = await Promise.all([
        probe(() => deps.db.$queryRaw`SELECT 1`, 2000),
        // With a deadline of its own: otherwise the client keeps retrying an unreachable frontend
        // long after the probe gave up, and every scrape or /readyz during an outage adds one more.
        probe(() => deps.temporal.connection.withDeadline(Date.now() + 2000, () => deps.temporal.connection.workflowService.getSystemInfo({})), 2000),
      ]);
      return { status: database === 'up' && temporal === 'up' ? 'ready' : 'not_ready', checks: { database, temporal } };
    },
  };
}
