import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/client.ts';
import type { Product } from '../../generated/prisma/client.ts';

/** How long an order may be priced from a product row already read: a catalog change reaches new orders within this. */
export const PRODUCT_CACHE_TTL_MS = 10_000;

/**
 * Products by id for pricing orders. The catalog changes only when it is seeded, while every order
 * reads it, so rows are kept for a few seconds instead of costing each order a query. Unknown ids
 * are always asked again, so a product added to the catalog is orderable at once.
 */
export function createProductLookup(db: Db, ttlMs = PRODUCT_CACHE_TTL_MS) {
  const cache = new LRUCache<string, Product>({ max: 1_000, ttl: ttlMs });
  return async (ids: readonly string[]): Promise<Map<string, Product>> => {
    const found = new Map<string, Product>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = cache.get(id);
      if (hit) found.set(id, hit);
      else missing.push(id);
    }
    if (missing.length) {
      for (const row of await db.product.findMany({ where: { id: { in: missing } } })) {
        cache.set(row.id, row);
        found.set(row.id, row);
      }
    }
    return found;
  };
}
