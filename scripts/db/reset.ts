// npm run db:reset: drops and recreates the database, migrates and seeds the demo data again.
import pg from "pg";
import { applyMigrations } from "./engine";
import { withDatabase } from "./database-url";
import { ensureDemoData } from "./ensure-demo-data";

await withDatabase(async (url) => {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  console.log(`Dropping and recreating database "${name}"…`);
  await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  await client.end();
  await applyMigrations(url);
  await ensureDemoData(url);
});
process.exit(0);
