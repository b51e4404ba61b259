import type { Db } from '../../db/client.ts';
import { moneyOf } from '../../common/money.ts';

export function createCatalogService(db: Db) {
  return {
    async list() {
      const products = await db.product.findMany({
        where: { sellable: true },
        include: { variants: { orderBy: [{ version: 'asc' }, { language: 'asc' }, { fileType: 'asc' }] } },
        orderBy: { name: 'asc' },
      });
      return products.map((p) => ({
        id: p.id,
        name: p.name,
        description: p.description,
        unitPrice: moneyOf(p.unitPrice, p.currency),
        variants: p.variants.map((v) => ({ version: v.version, language: v.language, fileType: v.fileType })),
      }));
    },
  };
}
