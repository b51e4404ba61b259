import type { Logger } from '../common/logger.ts';

/**
 * Keeps a process going when its output has nowhere to go: a closed terminal (EIO) or a reader
 * that has gone (EPIPE). Unhandled, that error on stdout ends the process at its next log line,
 * which on the way out is "stopping": before it has stopped the servers it started.
 */
export function outliveOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    });
  }
}

/**
 * Runs the cleanup once, then exits: on SIGINT, SIGTERM or SIGHUP (a closed terminal), or when the
 * IPC channel of the process that started this one closes (`npm start`'s launcher has died).
 */
export function onShutdown(logger: Logger, cleanup: () => Promise<void>): void {
  outliveOutput();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const at = Date.now();
    cleanup().then(
      () => {
        logger.info({ ms: Date.now() - at }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop(signal));
  process.once('disconnect', () => stop('the process that started this one has gone'));
}
