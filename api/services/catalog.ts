import type { Db } from '../../db/client.ts';
import type { PageRequest } from '../../common/paging.ts';
import type { Product } from '../../generated/prisma/client.ts';
import { asText, keyset, pageOf, type Keyset } from './paging.ts';
import { moneyOf } from '../../common/money.ts';

const CATALOG: Keyset<Product> = { list: 'products', field: 'name', direction: 'asc', at: (p) => p.name, id: (p) => p.id, parseId: asText };

export function createCatalogService(db: Db) {
  return {
    async list(page: PageRequest) {
      const k = keyset(CATALOG, page);
      const products = await db.product.findMany({
        where: { sellable: true, ...k.where },
        include: { variants: { orderBy: [{ version: 'asc' }, { language: 'asc' }, { fileType: 'asc' }] } },
        orderBy: k.orderBy,
        take: k.take,
      });
      return pageOf(products, CATALOG, page, (p) => ({
        id: p.id,
        name: p.name,
        description: p.description,
        unitPrice: moneyOf(p.unitPrice, p.currency),
        variants: p.variants.map((v) => ({ version: v.version, language: v.language, fileType: v.fileType })),
      }));
    },
  };
}
