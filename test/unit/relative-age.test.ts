import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relativeAge } from '../../api/console/layout.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();

test('a time’s relative age reads in the largest unit that fits, past and future alike', () => {
  assert.equal(relativeAge(at(-10), NOW), 'just now');
  assert.equal(relativeAge(at(20), NOW), 'in under a minute');
  assert.equal(relativeAge(at(-5 * 60), NOW), '5 minutes ago');
  assert.equal(relativeAge(at(-44 * 60), NOW), '44 minutes ago');
  assert.equal(relativeAge(at(60 * 60), NOW), 'in 1 hour');
  assert.equal(relativeAge(at(-2 * 3600), NOW), '2 hours ago');
  assert.equal(relativeAge(at(-21 * 3600), NOW), '21 hours ago');
  assert.equal(relativeAge(at(-24 * 3600), NOW), 'yesterday');
  assert.equal(relativeAge(at(14 * 86_400), NOW), 'in 14 days');
  assert.equal(relativeAge(at(-400 * 86_400), NOW), '400 days ago');
});
