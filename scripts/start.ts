// `npm start`: runs the stack (scripts/stack.ts) in a process group of its own, and turns a
// terminal's Ctrl-C into one orderly stop.
//
// A terminal sends Ctrl-C's SIGINT to every process of its foreground group. The stack's children
// were in it: the embedded PostgreSQL began its fast shutdown (ending every connection) and the
// Temporal dev server stopped, at the same instant as the stack began its ordered stop (API, relay,
// worker, then the servers), which then met servers already going: "webhook notifications lost", a
// failed statement, a worker that could not say goodbye to Temporal. Now only this process (and
// npm) hears the terminal; it asks the stack to stop (SIGTERM), and the stack stops its servers
// last. A second Ctrl-C stops the whole group at once. If this process dies, the stack hears its
// IPC channel close and stops in order too, so nothing is left running behind a closed terminal.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outliveOutput } from '../infra/shutdown.ts';

outliveOutput();

const stack = spawn(process.execPath, [...process.execArgv, path.join(path.dirname(fileURLToPath(import.meta.url)), 'stack.ts')], {
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
let askedAt: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (askedAt === undefined) {
      askedAt = Date.now();
      console.error('\n  Stopping in order (Ctrl-C again to stop everything at once) …');
      stack.kill('SIGTERM');
      return;
    }
    // Within a second it is the same Ctrl-C: tsx, which runs this file, passes on the terminal's
    // SIGINT that this process has heard already.
    if (Date.now() - askedAt < 1_000) return;
    console.error('\n  Stopping everything now: PostgreSQL recovers at the next start.');
    try {
      process.kill(-stack.pid!, 'SIGKILL');
    } catch {
      // The group has ended already.
    }
  });
}
stack.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
