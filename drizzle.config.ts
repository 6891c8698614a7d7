import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // Every capability keeps its tables in its own schema.ts; the store imports none of them.
  schema: './src/**/schema.ts',
  out: './src/store/migrations',
});
