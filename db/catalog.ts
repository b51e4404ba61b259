import { derivedIds } from '../common/ids.ts';
import type { Db } from './client.ts';

interface CatalogProduct {
  id: string;
  name: string;
  description: string;
  unitPrice: string;
  versions: string[];
  languages: string[];
  fileTypes: { fileType: string; extension: string }[];
}

const ISO = { fileType: 'ISO (x64)', extension: 'iso' };

/** A catalog of on-premises products a CSP partner typically resells. Prices are per licence, USD. */
export const CATALOG: CatalogProduct[] = [
  {
    id: 'windows-server-2022-standard',
    name: 'Windows Server 2022 Standard',
    description: 'Windows Server 2022 Standard, 16-core licence pack',
    unitPrice: '1069.00',
    versions: ['2022 (21H2)', '2022 (21H2) with updates'],
    languages: ['English', 'French', 'German', 'Japanese'],
    fileTypes: [ISO, { fileType: 'VHDX (x64)', extension: 'vhdx' }],
  },
  {
    id: 'windows-server-2025-datacenter',
    name: 'Windows Server 2025 Datacenter',
    description: 'Windows Server 2025 Datacenter, 16-core licence pack',
    unitPrice: '6771.00',
    versions: ['2025 (24H2)'],
    languages: ['English', 'French', 'German', 'Spanish'],
    fileTypes: [ISO, { fileType: 'VHDX (x64)', extension: 'vhdx' }],
  },
  {
    id: 'sql-server-2022-standard',
    name: 'SQL Server 2022 Standard',
    description: 'SQL Server 2022 Standard, 2-core licence pack',
    unitPrice: '3945.00',
    versions: ['2022 RTM', '2022 CU15'],
    languages: ['English', 'French', 'German', 'Chinese (Simplified)'],
    fileTypes: [ISO, { fileType: 'CAB (x64)', extension: 'cab' }],
  },
  {
    id: 'sql-server-2022-enterprise',
    name: 'SQL Server 2022 Enterprise',
    description: 'SQL Server 2022 Enterprise, 2-core licence pack',
    unitPrice: '15123.00',
    versions: ['2022 RTM', '2022 CU15'],
    languages: ['English', 'French', 'German'],
    fileTypes: [ISO],
  },
  {
    id: 'office-ltsc-professional-plus-2024',
    name: 'Office LTSC Professional Plus 2024',
    description: 'Office LTSC Professional Plus 2024, volume licence per device',
    unitPrice: '578.00',
    versions: ['2024'],
    languages: ['English', 'French', 'German', 'Italian', 'Japanese'],
    fileTypes: [
      { fileType: 'IMG (x64)', extension: 'img' },
      { fileType: 'IMG (x86)', extension: 'img' },
    ],
  },
  {
    id: 'project-professional-2024',
    name: 'Project Professional 2024',
    description: 'Project Professional 2024 (LTSC), volume licence per device',
    unitPrice: '1419.00',
    versions: ['2024'],
    languages: ['English', 'French'],
    fileTypes: [{ fileType: 'IMG (x64)', extension: 'img' }],
  },
];

/** Size of the demo installation media generated on local disk for each variant. */
export const DEMO_MEDIA_BYTES = 256 * 1024;

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Upserts the catalog (idempotent): products, then every version × language × file type. */
export async function seedCatalog(db: Db): Promise<void> {
  for (const p of CATALOG) {
    await db.product.upsert({
      where: { id: p.id },
      create: { id: p.id, name: p.name, description: p.description, unitPrice: p.unitPrice, currency: 'USD', sellable: true },
      update: { name: p.name, description: p.description, unitPrice: p.unitPrice },
    });
    const variants = p.versions.flatMap((version) =>
      p.languages.flatMap((language) =>
        p.fileTypes.map((ft) => ({
          id: derivedIds.variant(p.id, version, language, ft.fileType),
          productId: p.id,
          version,
          language,
          fileType: ft.fileType,
          fileName: `${slug(p.name)}_${slug(version)}_${slug(language)}_${slug(ft.fileType)}.${ft.extension}`,
          sizeBytes: DEMO_MEDIA_BYTES,
        })),
      ),
    );
    await db.productVariant.createMany({ data: variants, skipDuplicates: true });
  }
}
