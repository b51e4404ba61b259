// What a bench run is doing, on stderr: the scenario and its phase, and how many of its requests are
// done. On a terminal one line is rewritten in place; elsewhere (CI logs, a run piped to a file) each
// phase is one line, and a long phase adds a line with its count every 30 s.

const tty = process.stderr.isTTY === true;
let current = '';
let started = 0;
let lastDraw = 0;

const seconds = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** A new phase: `label` names the scenario, the round and the arm, e.g. "1 order starts · round 2/4 · API". */
export function step(label: string): void {
  if (tty && current) process.stderr.write('\n');
  current = label;
  started = performance.now();
  process.stderr.write(tty ? `\r\x1b[K▶ ${label}` : `▶ ${label}\n`);
}

/** `done` of `total` in the current phase (drawn at most 10 times a second and at the end; off a terminal, every 30 s). */
export function tick(done: number, total: number): void {
  status(`${done}/${total}`, done >= total);
}

/** Where the current phase stands, in words (e.g. "312 workflow tasks waiting"); drawn as `tick` draws. */
export function status(text: string, final = false): void {
  if (!current) return;
  const now = performance.now();
  if (!tty) {
    if (now - Math.max(lastDraw, started) < 30_000) return;
    lastDraw = now;
    return void process.stderr.write(`  ${current}: ${text} · ${seconds()}\n`);
  }
  if (!final && now - lastDraw < 100) return;
  lastDraw = now;
  process.stderr.write(`\r\x1b[K▶ ${current}: ${text} · ${seconds()}`);
}

/** The run is over: end the line being rewritten. */
export function done(): void {
  if (tty && current) process.stderr.write('\n');
  current = '';
}
