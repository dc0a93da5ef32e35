// npm run db:seed -- [--customers N] [--days D] [--seed S] [--now ISO]
// Applies migrations, then seeds the demo data once (the `demo.seeded` setting marks it).
import pg from "pg";
import { parseArgs } from "node:util";
import { applyMigrations } from "./engine";
import { withDatabase } from "./database-url";
import { DEFAULT_SEED, seedDatabase, seedStatus } from "../../prisma/seed/index";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "2000" },
    days: { type: "string", default: "120" },
    seed: { type: "string", default: String(DEFAULT_SEED) },
    now: { type: "string" },
  },
});
const customers = Number(values.customers);
const days = Number(values.days);
const seed = Number(values.seed);
if (!Number.isInteger(customers) || customers < 1 || !Number.isInteger(days) || days < 1 || !Number.isInteger(seed)) {
  console.error("usage: npm run db:seed -- --customers N --days D [--seed S] [--now 2026-01-01T00:00:00Z]");
  process.exit(2);
}
const now = values.now ? new Date(values.now) : undefined;
if (now && Number.isNaN(now.getTime())) {
  console.error(`--now is not a valid date: ${values.now}`);
  process.exit(2);
}

const code = await withDatabase(async (url) => {
  const applied = await applyMigrations(url);
  if (applied.length) console.log(`applied migrations: ${applied.join(", ")}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const status = await seedStatus(client).finally(() => client.end());
  if (status.seeded) {
    console.log("Demo data is already seeded (settings key demo.seeded); nothing to do. Run `npm run db:reset` to start over.");
    return 0;
  }
  if (status.customers > 0 || status.hasUsage) {
    console.error(`The database has ${status.customers} customers${status.hasUsage ? " and usage rows" : ""} but no demo.seeded marker (an interrupted seed or real data).`);
    console.error("Refusing to seed on top of it. Run `npm run db:reset` to start from an empty database.");
    return 1;
  }
  console.log(`Seeding ${customers} customers × ${days} days (seed ${seed})…`);
  const summary = await seedDatabase(url, { customers, days, seed, now, log: (m) => console.log(`  ${m}`) });
  for (const [table, n] of Object.entries(summary.rows)) console.log(`  ${table.padEnd(24)} ${n.toLocaleString("en-US")}`);
  console.log(`Done in ${(summary.ms / 1000).toFixed(1)} s.`);
  return 0;
});
process.exit(code);
