// `npm run test:chaos`: kill, restart and overload the real stack, then prove nothing was lost.
//   --quick   the CI budget (a few minutes); without it, the full run (longer load, more kills)
// Exits non-zero when any discrepancy is found. Prints a summary table; writes chaos/results/<ts>.json.
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { sleep } from '../infra/waiting.ts';
import { checkCases, checkLinks, checkOrders } from './checks.ts';
import { load } from './load.ts';
import { databaseOutage, temporalRestart } from './outages.ts';
import { createRun } from './run-context.ts';
import { startChaosStack } from './stack.ts';
import { checkWebhooks, watchWebhooks } from './webhooks.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick;
const BUDGET = {
  kills: quick ? 10 : 20,
  orders: 50,
  links: 20,
  cancellations: 10,
  loadClients: 200,
  loadSeconds: quick ? 20 : 60,
  outageSeconds: quick ? 6 : 15,
};

const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

// The Temporal restart's checks follow from each window's deadline and the measured restart time,
// so a slow restart changes which answer is right, never whether the run passes.
const stack = await startChaosStack({ linkTtl: quick ? '60s' : '120s', paymentDeadline: '20s' });
const run = createRun(stack, log);
const { tally, admins, faults, acknowledgedOrders, approvedCases, served, phaseNotes, checks } = run;
const { order, confirmPayment, openLink, download, activeSubscriptions, cancelAndApprove } = run;
// Partner webhooks for both partners, to one verifying receiver, through every phase.
const hooks = await watchWebhooks(stack.apiBase, admins.map((a) => a.key));

let serviceLogs = { api: '', worker: '' };
try {
  // ---------------------------------------------------------------- 1. worker kills
  log('phase 1: worker SIGKILLs under orders, downloads and cancellations');
  const linkSubs = [...(await activeSubscriptions(admins[0]!, 10)), ...(await activeSubscriptions(admins[1]!, 10))];
  const tokens = (await Promise.all(linkSubs.map((s, i) => openLink(admins[i < 10 ? 0 : 1]!, s)))).filter((t): t is string => Boolean(t));
  if (tokens.length !== BUDGET.links) throw new Error(`only ${tokens.length} of ${BUDGET.links} links opened`);
  let stop = false;
  const methods = ['pm_card_ok', 'pm_card_declined', 'pm_async', 'pm_flaky'];
  const ordersDone = Promise.all(
    Array.from({ length: BUDGET.orders }, async (_, i) => {
      await sleep(randomInt(0, 15_000));
      const method = methods[i % methods.length]!;
      const id = await order(admins[i % 2]!, method);
      // Half of the asynchronous payments are confirmed; the rest must expire at their deadline.
      if (id && method === 'pm_async' && i % 8 < 4) await confirmPayment(id, 'payment.succeeded');
    }),
  );
  const downloaders = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) {
        await download(tokens[randomInt(tokens.length)]!);
        await sleep(randomInt(20, 120));
      }
    }),
  );
  const cancellations = Promise.all(linkSubs.slice(0, BUDGET.cancellations).map((s, i) => sleep(randomInt(0, 10_000)).then(() => cancelAndApprove(admins[i < 10 ? 0 : 1]!, s))));
  const killer = (async () => {
    for (let k = 0; k < BUDGET.kills; k++) {
      await sleep(randomInt(1500, 3500));
      run.disruptions.push(Date.now());
      await stack.killWorker();
      faults['worker SIGKILL']!++;
      await sleep(randomInt(100, 1500));
      await stack.restartWorker();
    }
  })();
  // The receiver is down for a while mid-phase: its events wait, retried, behind each customer's first.
  const receiverOutage = sleep(4000).then(async () => {
    hooks.receiver.mode = 'down';
    await sleep(6000);
    hooks.receiver.mode = 'ok';
  });
  await killer;
  await receiverOutage;
  log(`phase 1: ${faults['worker SIGKILL']} kills done; waiting for orders and cases to settle`);
  await ordersDone;
  await cancellations;
  stop = true;
  await downloaders;
  await run.settle('phase 1');

  const freshSubs = await temporalRestart(run, BUDGET);
  await databaseOutage(run, BUDGET);
  await load(run, BUDGET, { linkSubs, tokens, freshSubs });

  // ---------------------------------------------------------------- effects
  log('checking effects');
  checks.push(...(await checkOrders(stack.db, acknowledgedOrders)));
  checks.push(...(await checkCases(stack.db, approvedCases)));
  checks.push(...(await checkLinks(stack.db, stack.apiBase, served)));
  checks.push(...(await checkWebhooks(stack.db, hooks, run.disruptions)));
  checks.push({ name: 'no 500 outside the load phase', checked: tally.attempted, discrepancies: tally.serverErrors });
} catch (err) {
  log(`the run failed: ${err instanceof Error ? err.stack : String(err)}`);
  checks.push({ name: 'the run itself', checked: 1, discrepancies: [String(err instanceof Error ? err.stack : err)] });
  // Load still in flight will now hit a stack being taken down; that is not news.
  process.on('unhandledRejection', () => undefined);
} finally {
  serviceLogs = stack.logs();
  await stack.close().catch((err: unknown) => console.error('closing the stack:', err));
  await hooks.receiver.close();
}


const discrepancies = checks.reduce((n, c) => n + c.discrepancies.length, 0);
const summary = {
  'faults injected': Object.values(faults).reduce((a, b) => a + b, 0),
  'operations attempted': tally.attempted,
  'operations acknowledged': tally.acknowledged,
  'effects checked': checks.reduce((n, c) => n + c.checked, 0),
  discrepancies,
};
console.table([summary]);
console.table(checks.map((c) => ({ check: c.name, checked: c.checked, discrepancies: c.discrepancies.length })));
for (const c of checks) for (const d of c.discrepancies.slice(0, 10)) console.log(`✖ ${c.name}: ${d}`);
console.log(JSON.stringify({ faults, ...phaseNotes }, null, 1));
const dir = path.join(PROJECT_ROOT, 'chaos', 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, budget: BUDGET, seconds: Math.round((Date.now() - started) / 1000), summary, faults, checks, ...phaseNotes }, null, 2) + '\n');
console.log(`results: ${file}`);
if (discrepancies) {
  // The services' own words about what went wrong (errors and warnings only).
  const errorsOnly = (text: string) => text.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-200).join('\n');
  writeFileSync(file.replace(/\.json$/, '.api.log'), errorsOnly(serviceLogs.api));
  writeFileSync(file.replace(/\.json$/, '.worker.log'), errorsOnly(serviceLogs.worker));
  console.log(`service warnings and errors: ${file.replace(/\.json$/, '.{api,worker}.log')}`);
}
process.exit(discrepancies === 0 ? 0 : 1);
