// The sizes of a bench run and what its scenarios return, apart from the stack that runs them (stack.ts).

/** The sizes of a run (`npm run bench -- --orders N …`). */
export interface BenchParams {
  quick: boolean;
  /** Orders (scenario 1), concurrency, links (3), windows (4), latency samples (2), downloads per window, audit rows exported (6). */
  N: number;
  C: number;
  L: number;
  W: number;
  S: number;
  CAP: number;
  WINDOW_TTL_MS: number;
  R: number;
  /** Scenario 4 without its bare-timer baseline (the 100,000-window case: its goals are memory and downloads). */
  skipTimerBaseline: boolean;
}

/**
 * Orders a server serves, unmeasured, before a scenario times it (1 and 8): a fresh process's first
 * requests pay for V8 compiling what they run, which a server in service paid long ago. It goes on
 * for thousands (with the worker stopped, in blocks of 1,000 after the first 500, the API's CPU per
 * order fell 2.07, 1.70, 1.39, 1.18, then held at 0.92-1.17; the control's 1.18, 1.05, 0.80, 0.67,
 * then 0.53-0.65), but 500 is what fits here: every warm-up order is a workflow the
 * worker then runs in scenario 5 (and its baseline as many). With 2,000 the API's CPU per order in
 * scenario 1 did not fall (1.73 against 1.74-1.95 after 500), scenario 5 took 10 minutes longer, and
 * the dev server held twice the histories for the scenarios after it.
 */
export const warmUpOrders = ({ quick, N }: BenchParams) => (quick ? Math.min(Math.ceil(N / 4), 20) : 500);

/** One row of the results table (and of bench/results/<time>.json). */
export type Row = Record<string, unknown>;
