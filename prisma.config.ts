import { defineConfig } from 'prisma/config';

// Only `prisma generate` runs here; migrations are SQL applied by dbmate (see db/migrate.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
});
