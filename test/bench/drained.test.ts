import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drained } from '../../bench/measure.ts';

describe('the bench waits for a backlog to drain by its progress, not by a deadline', () => {
  test('a count that keeps falling is waited for however long it takes, past the stall limit', async () => {
    const left = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
    let polls = 0;
    const started = Date.now();
    await drained('the backlog', async () => left[polls++]!, 9, { stallMs: 20, pollMs: 10 });
    assert.equal(polls, left.length);
    assert.ok(Date.now() - started > 20, 'it waited longer than the stall limit in all');
  });

  test('a count that stops falling fails, naming what is left', async () => {
    let polls = 0;
    await assert.rejects(
      drained('the backlog', async () => (polls++ < 3 ? 7 - polls : 4), 7, { stallMs: 50, pollMs: 10 }),
      /^Error: the backlog: 4 of 7 still left, and none done in the last 0 s$/,
    );
    assert.ok(polls > 3, 'it kept polling while the count stood still');
  });
});
