// npm run db:migration -- <name>: writes prisma/migrations/<timestamp>_<name>/migration.sql from
// the difference between the migrations folder and schema.prisma. Needs a database for the
// engine's shadow database (the embedded one when DATABASE_URL is unset).
import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { diffMigrationsToSchema, migrationsDir } from "./engine";
import { withDatabase } from "./database-url";

const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]+/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:migration -- <name>");
  process.exit(2);
}

await withDatabase(async (url) => {
  const sql = await diffMigrationsToSchema(url);
  if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
    console.log("schema.prisma and the migrations agree; nothing to write");
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql);
  const lock = path.join(migrationsDir, "migration_lock.toml");
  if (!existsSync(lock)) await writeFile(lock, 'provider = "postgresql"\n');
  console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
});
process.exit(0);
