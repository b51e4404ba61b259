import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startDevServerProcess } from '../../infra/dev-server-process.ts';
import { freePort } from '../../infra/ports.ts';
import { until } from '../../infra/waiting.ts';

// The bench and the chaos suite run a dev server of their own; a run waiting on its workflows must
// hear at once that the server died, and must not hear it when it stopped the server itself.
const dir = mkdtempSync(path.join(tmpdir(), 'dev-server-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a dev server that dies is reported with the cause from its log; one stopped on purpose is not', async () => {
  const crashes: string[] = [];
  const server = await startDevServerProcess({ port: await freePort(), logFile: path.join(dir, 'temporal.log'), onCrash: (message) => crashes.push(message) });
  await server.stop();
  await server.start();
  assert.deepEqual(crashes, [], 'a stop and a start are not a crash');
  // A Go runtime crash: the process prints its cause and a goroutine dump, and exits 2.
  process.kill(server.pid()!, 'SIGQUIT');
  await until('the crash reported', async () => crashes.length === 1, 30_000);
  assert.match(crashes[0]!, /the Temporal dev server exited \(code 2\)/);
  assert.match(crashes[0]!, /^SIGQUIT: quit/m, 'the cause, not the end of the goroutine dump');
  await server.stop();
});
