// npm run db:migrate: applies prisma/migrations to DATABASE_URL (or the embedded database).
import { applyMigrations } from "./engine";
import { withDatabase } from "./database-url";

await withDatabase(async (url) => {
  const applied = await applyMigrations(url);
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
});
process.exit(0);
