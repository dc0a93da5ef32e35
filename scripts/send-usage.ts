// Sends usage through the ingest API the way the platform does, duplicates included, and prints
// what came back: npx tsx scripts/send-usage.ts --token mdk_… [--url http://localhost:3000]
//   [--customers 5] [--events 200] [--duplicates 0.1] [--batch 500]
// Customers are read from the database (DATABASE_URL, or the embedded dev database). Every batch
// is sent twice on purpose, plus a share of ids repeated inside batches: the totals show each
// event counted once.
import pg from "pg";

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const url = (arg("url", "http://localhost:3000") ?? "").replace(/\/$/, "");
const token = arg("token", process.env.MD_API_TOKEN);
const customers = Number(arg("customers", "5"));
const total = Number(arg("events", "200"));
const dupShare = Number(arg("duplicates", "0.1"));
const batchSize = Math.min(5000, Number(arg("batch", "500")));
const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres:meterdesk@127.0.0.1:54329/meterdesk";

async function main() {
  if (!token) throw new Error("Pass --token (create one in Settings → API tokens) or set MD_API_TOKEN.");
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const { rows: accounts } = await pool.query<{ platform_id: string }>("SELECT platform_id FROM customers WHERE status = 'active' ORDER BY platform_id LIMIT $1", [customers]);
  const { rows: meters } = await pool.query<{ key: string }>("SELECT key FROM meters ORDER BY display_order");
  await pool.end();
  if (accounts.length === 0) throw new Error("No active customers in the database.");
  const run = Date.now().toString(36);
  const events = Array.from({ length: total }, (_, i) => ({
    id: `send-usage-${run}-${i}`,
    customer: accounts[i % accounts.length]!.platform_id,
    meter: meters[i % meters.length]!.key,
    timestamp: new Date(Date.now() - (i % 48) * 3_600_000 - 1000).toISOString(),
    quantity: ((i % 17) + 0.25).toFixed(2),
  }));
  const sum = { accepted: 0, duplicates: 0, rejected: 0 };
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    const repeated = batch.slice(0, Math.floor(batch.length * dupShare));
    for (const attempt of [1, 2]) {
      const res = await fetch(`${url}/api/v1/usage`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ events: [...batch, ...repeated] }),
      });
      const body = (await res.json()) as { accepted?: number; duplicates?: number; rejected?: number; error?: { message: string } };
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${body.error?.message ?? "error"}`);
      console.log(`batch ${i / batchSize + 1}, send ${attempt}: accepted ${body.accepted}, duplicate ${body.duplicates}, rejected ${body.rejected}`);
      sum.accepted += body.accepted ?? 0;
      sum.duplicates += body.duplicates ?? 0;
      sum.rejected += body.rejected ?? 0;
    }
  }
  console.log(`Sent ${events.length} distinct events: accepted ${sum.accepted} (each once), duplicates ${sum.duplicates}, rejected ${sum.rejected}.`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
