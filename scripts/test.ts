// Runs every test tier with node's test runner, after providing what the tiers share:
// a PostgreSQL server (DATABASE_URL's server, or an embedded one) on which each test file creates
// its own database, and one Temporal dev server for the end-to-end files. Time-skipping servers
// are started per file by the files themselves, since skipped time is global to a server.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../infra/embedded-postgres.ts';
import { devServerEnvironment } from '../test/helpers/temporal.ts';
import { freePort } from '../infra/ports.ts';
import { CHROMIUM, ensureSystemTool, PROMETHEUS, PROMTOOL } from '../infra/system-packages.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'helpers' ? [] : testFiles(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const filters = process.argv.slice(2);
const files = testFiles(path.join(PROJECT_ROOT, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

// Programs from Debian's packages that the chosen files need, installed now if missing (and said
// so), rather than failing minutes into the run: a fresh machine needs nothing installed by hand.
const needs = (folder: string) => files.some((f) => f.includes(`${path.sep}test${path.sep}${folder}${path.sep}`));
if (needs('console')) process.env.CHROMIUM_PATH = ensureSystemTool(CHROMIUM);
if (needs('ops')) [process.env.PROMETHEUS_PATH, process.env.PROMTOOL_PATH] = [ensureSystemTool(PROMETHEUS), ensureSystemTool(PROMTOOL)];

let embedded: EmbeddedDatabase | undefined;
let scratch: string | undefined;
let adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  scratch = mkdtempSync(path.join(tmpdir(), 'csp-test-pg-'));
  chmodSync(scratch, 0o755); // PostgreSQL runs as the postgres user when we are root
  embedded = await startEmbeddedPostgres({ dir: path.join(scratch, 'pg'), port: await freePort() });
  adminUrl = embedded.url.replace(/\/csp$/, '/postgres');
}
const temporal = await devServerEnvironment();
const temporalAddress = temporal.address;

// Every answer the suite's apps give is recorded here; the contract test reads it afterwards.
const statusLog = path.join(mkdtempSync(path.join(tmpdir(), 'csp-test-answers-')), 'answers.log');
writeFileSync(statusLog, '');
const env = { ...process.env, TEST_PG_ADMIN_URL: adminUrl, TEMPORAL_TEST_ADDRESS: temporalAddress, NODE_ENV: 'test', API_STATUS_LOG: statusLog };
// A test file whose tests have ended is ended, even if something it opened was left open (a check
// that failed before its server was closed): otherwise the run waits for it forever, and CI ends at
// its time limit with no word of which file. A test stuck on an open promise fails after 30 minutes,
// far beyond what any test takes on a slow machine (the whole suite takes ~15 on two cores).
const runnerFlags = ['--test', '--test-reporter=spec', '--test-force-exit', `--test-timeout=${30 * 60_000}`];
const runTests = (testFiles: string[]) =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...runnerFlags, ...testFiles], { cwd: PROJECT_ROOT, stdio: 'inherit', env });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });

const started = Date.now();
let code = await runTests(files);
// The contract check needs the whole suite's answers: it runs after a full run, not a filtered one.
if (filters.length === 0) code = (await runTests([path.join(PROJECT_ROOT, 'test', 'contract', 'answered-statuses.ts')])) || code;
console.log(`\ntest files: ${files.length}${filters.length === 0 ? ' and the contract check' : ''}, wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
rmSync(path.dirname(statusLog), { recursive: true, force: true });

await temporal.teardown();
await embedded?.stop();
if (scratch) rmSync(scratch, { recursive: true, force: true });
process.exit(code);
