// Reads a V8 .cpuprofile (node --cpu-prof) and names where the time went: self time per function
// and per package, so a bottleneck has a name instead of a guess.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

function packageOf(url: string): string {
  if (!url) return '(native / gc)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node core';
  const own = /\/(api|activities|common|db|infra|providers|worker|workflows|generated)\//.exec(url);
  return own ? `project ${own[1]}/` : url.replace(/^file:\/\//, '');
}

/**
 * Where one thread's busy time went: shares of its samples other than idle ones, so a process busy
 * for 2 % of a run (the API between scenarios) still shows what it spent those 2 % on.
 */
export function summariseProfile(file: string, top = 12) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const isIdle = (node: ProfileNode) => node.callFrame.functionName === '(idle)' && !node.callFrame.url;
  const all = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0) || 1;
  const idle = profile.nodes.reduce((n, node) => n + (isIdle(node) ? (node.hitCount ?? 0) : 0), 0);
  const total = all - idle || 1;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || isIdle(node)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/main\//, '')}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, percent: +((100 * hits) / total).toFixed(1) }));
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  return { seconds: +seconds.toFixed(1), busyPercent: +((100 * (all - idle)) / all).toFixed(1), busySeconds: +((seconds * (all - idle)) / all).toFixed(2), byPackage: rank(byPackage), byFunction: rank(byFunction) };
}

/**
 * Every thread of one process that did work: V8 writes a profile per thread (the main thread, the
 * workflow threads, tsx's loader), and neither the largest file nor the first is reliably the one
 * that worked. Busiest first; threads idle for over 99 % of their samples are left out.
 */
export function summariseProcess(files: string[], top = 12) {
  return files
    .map((file) => ({ thread: file.replace(/^.*\//, ''), ...summariseProfile(file, top) }))
    .filter((s) => s.busyPercent >= 1)
    .sort((a, b) => b.busyPercent - a.busyPercent);
}
