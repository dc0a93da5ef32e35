// npm run worker: the background worker — sends the provider outbox (retries with backoff,
// exactly-once through idempotency keys) and, with the sandbox provider, applies plan changes
// that fall due. Any number can run side by side. Stops cleanly on SIGINT / SIGTERM: the pass in
// progress finishes (or its lease lapses and another worker resumes it).
import { createPrismaClient } from "../lib/server/db/client";
import { startBackgroundWork } from "../lib/server/outbox/background";
import { outboxStats } from "../lib/server/outbox/stats";

// Without DATABASE_URL, the database `npm run dev` starts (embedded, port 54329).
const url = process.env.DATABASE_URL ?? "postgresql://postgres:meterdesk@127.0.0.1:54329/meterdesk";
if (!process.env.DATABASE_URL) console.log("No DATABASE_URL: using the embedded development database on port 54329.");

const db = createPrismaClient(url);
const work = startBackgroundWork(db, {
  intervalMs: Number(process.env.OUTBOX_INTERVAL_MS ?? 1_000),
  batchSize: Number(process.env.OUTBOX_BATCH_SIZE ?? 25),
  log: (m) => console.log(m),
});
console.log(`Worker started (provider: ${work.provider.kind}).`);

const report = setInterval(() => {
  outboxStats(db)
    .then((s) => {
      if (s.depth > 0 || s.failed > 0) {
        const age = s.oldestPendingAgeMs === null ? "-" : `${Math.round(s.oldestPendingAgeMs / 1000)} s`;
        console.log(`[outbox] depth ${s.depth} (in flight ${s.inFlight}), oldest ${age}, failed ${s.failed}`);
      }
    })
    .catch((e) => console.error(`[outbox] stats failed: ${e instanceof Error ? e.message : String(e)}`));
}, 60_000);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the worker…`);
  clearInterval(report);
  await work.stop();
  await db.$disconnect();
  console.log("Worker stopped.");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
