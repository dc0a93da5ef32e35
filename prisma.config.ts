import { defineConfig } from "prisma/config";

// DATABASE_URL is read from process.env directly (not Prisma's env()) so that
// `prisma generate` works when it is unset, as on a fresh clone or in CI.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/meterdesk" },
});
