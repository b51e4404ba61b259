// Small measuring and waiting helpers shared by `npm run bench` and `npm run test:chaos`.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The p-th percentile (nearest rank) of `xs`; 0 for none. */
export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

/**
 * Polls `check` every 250 ms until it holds; fails after `timeoutMs` naming `what` and, when given,
 * what `seen` reports at that moment (the state that never got there), so a hang fails with a reason.
 */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, seen?: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const last = seen ? ` (last seen: ${JSON.stringify(await seen().catch((e: unknown) => String(e))).slice(0, 500)})` : '';
      throw new Error(`${what}: not reached in ${Math.round(timeoutMs / 1000)} s${last}`);
    }
    await sleep(250);
  }
}
