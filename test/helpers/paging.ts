import assert from 'node:assert/strict';
import request from 'supertest';
import { bearer, type Stack } from './stack.ts';

/** Follows a list's Link rel="next" from `path` to its end; answers every item and the pages' sizes. */
export async function everyPage(stack: Stack, key: string, path: string, between?: () => Promise<void>) {
  const items: Record<string, unknown>[] = [];
  const sizes: number[] = [];
  let next: string | undefined = path;
  while (next) {
    assert.ok(sizes.length < 1000, `${path}: still paging after 1,000 pages`);
    const res: request.Response = await request(stack.app).get(next).set(bearer(key));
    assert.equal(res.status, 200, `${next}: ${JSON.stringify(res.body)}`);
    assert.ok(Array.isArray(res.body), 'a page is an array');
    items.push(...(res.body as Record<string, unknown>[]));
    sizes.push(res.body.length);
    const link = res.headers.link as string | undefined;
    next = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
    if (link) assert.ok(next, `a Link header of the form <…>; rel="next": ${link}`);
    if (next) await between?.();
  }
  return { items, sizes };
}
