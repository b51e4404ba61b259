import assert from 'node:assert/strict';
import { test } from 'node:test';
import { armsInRound } from '../../bench/measure.ts';

const ARMS = ['api', 'bare', 'raw'] as const;

test('six bench rounds time the three arms in every order once', () => {
  const orders = Array.from({ length: 6 }, (_, r) => armsInRound(ARMS, r).join(' '));
  assert.equal(new Set(orders).size, 6, `every order once: ${orders.join(' | ')}`);
  for (const order of orders) assert.deepEqual(order.split(' ').sort(), [...ARMS].sort(), 'each round times every arm once');
});

test('over six bench rounds each arm goes before each other arm in three, and takes each place twice', () => {
  const rounds = Array.from({ length: 6 }, (_, r) => armsInRound(ARMS, r));
  for (const a of ARMS) {
    for (const b of ARMS) if (a !== b) assert.equal(rounds.filter((arms) => arms.indexOf(a) < arms.indexOf(b)).length, 3, `${a} before ${b}`);
    for (let place = 0; place < ARMS.length; place++) assert.equal(rounds.filter((arms) => arms[place] === a).length, 2, `${a} in place ${place + 1}`);
  }
});
