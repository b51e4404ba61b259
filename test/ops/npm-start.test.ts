import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../infra/embedded-postgres.ts';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import { freePort } from '../../infra/ports.ts';
import { until } from '../../infra/waiting.ts';

/**
 * `npm start` as a person runs it: in a terminal, whose Ctrl-C signals every process of the
 * foreground group at once. The stack must still stop in its order (API, relay, worker, then the
 * Temporal dev server and PostgreSQL), so nothing it logs on the way out is a warning, and leave
 * nothing running.
 */
describe('npm start in a terminal', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
    // What a failed check may have left: the servers' command lines name the data folder.
    for (const d of dirs) for (const pid of leftRunning(d)) process.kill(pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The processes whose command line names the data folder: the embedded servers. */
  const leftRunning = (dataDir: string) => {
    const found = spawnSync('pgrep', ['-f', dataDir], { encoding: 'utf8' });
    return found.stdout.split('\n').filter(Boolean).map(Number);
  };

  const killGroup = (c: ChildProcess, signal: NodeJS.Signals) => {
    try {
      process.kill(-c.pid!, signal);
    } catch {
      // Already gone.
    }
  };

  /** Starts the command in a process group of its own, as a terminal starts a foreground job. */
  async function start(command: string, args: string[]) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'csp-npm-start-'));
    chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as the postgres user when we are root
    dirs.push(dataDir);
    const [port, pgPort, temporalPort, uiPort, codecPort, workerMetrics] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', DATA_DIR: dataDir, PORT: String(port) };
    Object.assign(env, { EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_TEMPORAL_PORT: String(temporalPort), EMBEDDED_TEMPORAL_UI_PORT: String(uiPort) });
    Object.assign(env, { EMBEDDED_TEMPORAL_CODEC_PORT: String(codecPort), WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetrics}` });
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_UI_URL', 'API_STATUS_LOG']) delete env[name];
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    // What had been printed when it exited: a terminal gives its prompt back then.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; printed: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, printed: output })));
    // The deadline only bounds a hang: a first start initialises PostgreSQL and the Temporal file.
    await until('the stack says it is up', async () => output.includes('is up') || child.exitCode !== null, 300_000);
    assert.ok(output.includes('is up'), `it did not start:\n${output}`);
    return { child, exited, dataDir, ports: [pgPort!, temporalPort!, port!], output: () => output };
  }

  const refuses = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });

  /** What was logged from "stopping" on that is a warning or worse, or a server's own complaint. */
  const complaintsWhileStopping = (output: string) =>
    output
      .slice(output.indexOf('"msg":"stopping"'))
      .split('\n')
      .filter((line) => /"level":([4-9]\d)|level=(WARN|ERROR)|terminating connection|FATAL|ERROR:/.test(line));

  /** Nothing of the stack answers or runs, and PostgreSQL shut down as asked (not killed). */
  const stopped = async (run: Awaited<ReturnType<typeof start>>) =>
    (await Promise.all(run.ports.map(refuses))).every(Boolean) && leftRunning(run.dataDir).length === 0 && !existsSync(path.join(run.dataDir, 'postgres', 'postmaster.pid'));

  async function assertStoppedCleanly(run: Awaited<ReturnType<typeof start>>) {
    for (const port of run.ports) assert.ok(await refuses(port), `port ${port} still answers`);
    assert.deepEqual(leftRunning(run.dataDir), [], 'servers left running');
    // PostgreSQL removes it only at the end of a shutdown it was asked for.
    assert.ok(!existsSync(path.join(run.dataDir, 'postgres', 'postmaster.pid')), 'PostgreSQL did not shut down cleanly');
    assert.deepEqual(complaintsWhileStopping(run.output()), [], 'logged while stopping');
  }

  test('a Ctrl-C stops everything in order: no warning on the way out, npm ends once all has stopped, nothing left running', async () => {
    const run = await start('npm', ['start']);
    assert.ok(run.output().includes('embedded PostgreSQL running'));
    killGroup(run.child, 'SIGINT');
    const exit = await run.exited;
    // npm, itself Ctrl-C'd, ends as a Ctrl-C'd process does, once what it ran has ended.
    assert.ok(exit.code === 0 || exit.signal === 'SIGINT', `npm ended with ${exit.code ?? exit.signal}`);
    assert.ok(exit.printed.includes('"msg":"stopped"'), `the prompt came back before the stack had stopped:\n${exit.printed}`);
    assert.ok(!exit.printed.includes('Stopping everything now'), 'one Ctrl-C is not taken for two');
    await assertStoppedCleanly(run);
  });

  test('if the process npm started dies, the stack stops in order too, and leaves nothing running', async () => {
    // npm start without npm: the launcher itself, killed as a closed terminal or a crash would.
    const run = await start(process.execPath, ['--import', 'tsx', 'scripts/start.ts']);
    run.child.kill('SIGKILL');
    // The stack runs in a group of its own: it hears its launcher's channel close.
    await until('the stack stopped', () => stopped(run), 120_000);
    await until('its last words logged', async () => run.output().includes('"msg":"stopped"'), 30_000);
    await assertStoppedCleanly(run);
  });

  test('a closed terminal: the launcher hangs up and the output has nowhere to go, yet the stack stops and leaves nothing running', async () => {
    const run = await start(process.execPath, ['--import', 'tsx', 'scripts/start.ts']);
    // What the stack writes next meets a closed pipe (a closed terminal: EIO), from its first line on.
    run.child.stdout!.destroy();
    run.child.stderr!.destroy();
    process.kill(run.child.pid!, 'SIGHUP');
    await until('the stack stopped', () => stopped(run), 120_000);
  });
});

describe('an embedded PostgreSQL whose process stops it in its own order', () => {
  test('a signal to the process leaves it running until the process stops it (npm start stops it last)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'csp-own-stop-'));
    chmodSync(dir, 0o755);
    try {
      const before = new Set(process.listeners('SIGTERM'));
      const database = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), ownStop: true });
      assert.deepEqual(process.listeners('SIGTERM').filter((l) => !before.has(l)), [], 'nothing of the library listens for SIGTERM');
      // What a SIGTERM runs in this process: were the library's handler among it, it would stop the
      // cluster and end this process (and this test) as soon as the cluster had stopped.
      process.emit('SIGTERM', 'SIGTERM');
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      assert.equal((await client.query<{ up: number }>('SELECT 1 AS up')).rows[0]!.up, 1);
      await client.end();
      await database.stop();
      assert.ok(!existsSync(path.join(dir, 'pg', 'postmaster.pid')), 'stopped, cleanly, by its own stop()');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
