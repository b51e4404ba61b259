// 7. webhooks: events delivered per second to a receiver that answers at once, and the time from
// state change to delivery (p50, p99), beside a bare `fetch` loop posting the same payloads to the
// same receiver (what any HTTP delivery costs here). Events come from real state changes: orders
// of many customers moved to payment_failed in the database, whose triggers write the outbox.
import { step } from '../progress.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pct } from '../../infra/waiting.ts';
import type { Bench } from '../stack.ts';
import type { BenchParams, Row } from '../params.ts';
import { pool, round } from '../measure.ts';

const CUSTOMERS = 50;
const PARALLEL = 16;

export async function webhooks(bench: Bench, { quick }: BenchParams): Promise<Row[]> {
  const { db } = bench;
  const burst = quick ? 200 : 5000;
  const paced = quick ? 40 : 500;
  const arrivals = new Map<string, number>();
  const bodies: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const id = req.headers['webhook-id'];
      if (typeof id === 'string' && !arrivals.has(id)) {
        arrivals.set(id, Date.now());
        bodies.push(body);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const created = await fetch(`${bench.api.base}/v1/webhook-endpoints`, { method: 'POST', headers: bench.headers(), body: JSON.stringify({ url, events: ['order.payment_failed'] }) });
  if (created.status !== 201) throw new Error(`webhook endpoint refused: ${created.status} ${await created.text()}`);

  const partnerId = bench.partnerId;
  await db.$executeRaw`
    INSERT INTO customers (id, partner_id, domain, company_name)
    SELECT gen_random_uuid(), ${partnerId}::uuid, 'bench-hook-' || n || '.example.com', 'Bench ' || n FROM generate_series(1, ${CUSTOMERS}::int) AS n
    ON CONFLICT DO NOTHING`;
  /** `count` orders spread over the bench customers, then moved to payment_failed in one statement: `count` events. */
  const changeStates = async (count: number) => {
    const ids = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO orders (id, partner_id, customer_id, status, payment_method, total_amount, currency, workflow_id)
      SELECT gen_random_uuid(), ${partnerId}::uuid, c.id, 'awaiting_payment', 'pm_card_declined', 1, 'USD', 'bench-hook-' || gen_random_uuid()
        FROM generate_series(1, ${count}::int) AS n
        JOIN LATERAL (SELECT id FROM customers WHERE domain = 'bench-hook-' || (1 + n % ${CUSTOMERS}) || '.example.com') c ON true
      RETURNING id::text`;
    await db.$executeRaw`UPDATE orders SET status = 'payment_failed', failure_reason = 'bench' WHERE id = ANY(${ids.map((r) => r.id)}::uuid[])`;
  };
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 600_000;
    while (arrivals.size < n) {
      if (Date.now() > deadline) throw new Error(`only ${arrivals.size} of ${n} webhook events arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const lagsOf = (from: number) => bodies.slice(from).map((b) => {
    const e = JSON.parse(b) as { id: string; createdAt: string };
    return arrivals.get(e.id)! - Date.parse(e.createdAt);
  });

  // Burst: every event at once; events per second from the first change to the last arrival.
  const t0 = Date.now();
  step(`7 webhooks · a burst of ${burst} state changes, then one at a time, then the bare loop`);
  await changeStates(burst);
  await waitFor(burst);
  const serviceRate = burst / ((Math.max(...arrivals.values()) - t0) / 1000);
  // Paced: one change at a time, each waited for: the time one event takes from change to receiver.
  for (let i = 0; i < paced; i++) {
    await changeStates(1);
    await waitFor(burst + i + 1);
  }
  const pacedLags = lagsOf(burst);
  // Counted before the bare loop, whose POSTs reach the same receiver.
  const delivered = arrivals.size;

  // The bare loop: the same bodies POSTed by `fetch`, PARALLEL at a time, then one at a time.
  const sample = bodies.slice(0, burst);
  const tb = performance.now();
  await pool(sample.length, PARALLEL, async (i) => void (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': `bare-${i}` }, body: sample[i] })).arrayBuffer());
  const bareRate = sample.length / ((performance.now() - tb) / 1000);
  const bareLags = await pool(paced, 1, async (i) => void (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': `bare-one-${i}` }, body: sample[i % sample.length] })).arrayBuffer());
  receiver.close();

  return [
    { scenario: 'webhook events delivered per s (burst), service ÷ bare fetch loop', figure: round(serviceRate), baseline: round(bareRate), ratio: round(serviceRate / bareRate, 2), goal: 'reported', met: null, events: burst, customers: CUSTOMERS, exact: delivered === burst + paced },
    {
      scenario: 'webhook state change → delivery p50 / p99 ms (one at a time)',
      figure: `${round(pct(pacedLags, 50))} / ${round(pct(pacedLags, 99))}`,
      baseline: `${round(pct(bareLags, 50))} / ${round(pct(bareLags, 99))}`,
      ratio: round(pct(pacedLags, 50) / pct(bareLags, 50), 1),
      goal: 'reported (bare: one fetch POST)',
      met: null,
      events: paced,
    },
  ];
}
