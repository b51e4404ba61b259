import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A program the tests need that comes from one of Debian's packages (this machine kind installs
 * them with apt-get; nothing else on it can fetch a browser). `override` names an environment
 * variable that points at a copy of the user's own instead.
 */
export interface SystemTool {
  name: string;
  path: string;
  debianPackage: string;
  neededBy: string;
  override?: string;
}

export const CHROMIUM: SystemTool = { name: 'Chromium', path: '/usr/bin/chromium', debianPackage: 'chromium', neededBy: 'the console tests drive it through playwright-core', override: 'CHROMIUM_PATH' };
/** Debian's prometheus package ships both: the server the end-to-end alert test scrapes with, and promtool. */
export const PROMETHEUS: SystemTool = { name: 'Prometheus', path: '/usr/bin/prometheus', debianPackage: 'prometheus', neededBy: 'the ops tests evaluate the alert rules against a test stack with it', override: 'PROMETHEUS_PATH' };
export const PROMTOOL: SystemTool = { name: 'promtool', path: '/usr/bin/promtool', debianPackage: 'prometheus', neededBy: 'the ops tests check and unit-test the alert rules with it', override: 'PROMTOOL_PATH' };

/** Whether apt-get may run here as root: as root, or through sudo without a password. */
function aptRunner(): string[] | undefined {
  if (!existsSync('/usr/bin/apt-get')) return undefined;
  if (process.getuid?.() === 0) return [];
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo', '-n'] : undefined;
}

/**
 * Answers where the tool is, installing its Debian package first when it is missing, and saying
 * so: `npm test` on a fresh machine needs nothing installed by hand. Where apt-get cannot run
 * (no root, no passwordless sudo), throws with the one command that would.
 */
export function ensureSystemTool(tool: SystemTool, log: (line: string) => void = (l) => console.log(l)): string {
  const own = tool.override ? process.env[tool.override] : undefined;
  if (own) {
    if (!existsSync(own)) throw new Error(`${tool.override}=${own}: no such file. Unset it to use Debian's ${tool.debianPackage} package.`);
    return own;
  }
  if (existsSync(tool.path)) return tool.path;
  const runner = aptRunner();
  const command = `apt-get update && apt-get install -y ${tool.debianPackage}`;
  if (!runner) {
    throw new Error(`${tool.name} is not installed (${tool.neededBy}). Install Debian's package as root: ${command}${tool.override ? `, or set ${tool.override} to your own copy` : ''}.`);
  }
  log(`setup: ${tool.name} is missing and ${tool.neededBy}: installing Debian's ${tool.debianPackage} package (${runner.length ? 'sudo ' : ''}${command})`);
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', tool.debianPackage]]) {
    const [cmd, ...rest] = [...runner, 'apt-get', ...args];
    const run = spawnSync(cmd!, rest, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  if (!existsSync(tool.path)) throw new Error(`the ${tool.debianPackage} package is installed but ${tool.path} is not there`);
  log(`setup: installed ${tool.debianPackage} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return tool.path;
}
