// Seeds the demo data the first time only: a second start neither reseeds nor duplicates.
import pg from "pg";

export async function ensureDemoData(url: string, opts: { customers?: number; days?: number } = {}) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const marker = await pool.query("SELECT value FROM settings WHERE key = 'demo.seeded'");
    if (marker.rowCount) return false;
    const customers = await pool.query("SELECT 1 FROM customers LIMIT 1");
    if (customers.rowCount) {
      console.log("The database has data but no demo marker: leaving it as it is (npm run db:reset starts over).");
      return false;
    }
  } finally {
    await pool.end();
  }
  const { seedDatabase } = await import("../../prisma/seed/index");
  const started = Date.now();
  console.log("Seeding demo data (first start only)…");
  await seedDatabase(url, {
    customers: opts.customers ?? Number(process.env.MD_SEED_CUSTOMERS ?? 2000),
    days: opts.days ?? Number(process.env.MD_SEED_DAYS ?? 120),
    log: (m: string) => console.log(`  ${m}`),
  });
  console.log(`Demo data ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
