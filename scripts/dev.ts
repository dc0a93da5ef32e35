// npm run dev: the whole console from a fresh clone. With no DATABASE_URL an embedded
// PostgreSQL starts under .data/, migrations apply, demo data seeds once, then Next serves.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { createPrismaClient } from "../lib/server/db/client";
import { startBackgroundWork, type BackgroundWorkHandle } from "../lib/server/outbox/background";
import { ensurePreviewsComputed } from "../lib/server/services/recompute-previews";
import { applyMigrations, root } from "./db/engine";
import { startEmbeddedPostgres, type EmbeddedHandle } from "./db/embedded";
import { ensureDemoData } from "./db/ensure-demo-data";

const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const port = Number(portArg >= 0 ? args[portArg + 1] : process.env.PORT ?? 3000);
const production = args.includes("--production");

let embedded: EmbeddedHandle | null = null;
let background: BackgroundWorkHandle | null = null;
let next: ChildProcess | null = null;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  if (next && next.exitCode === null) {
    next.kill("SIGTERM");
    await new Promise((resolve) => next!.once("exit", resolve));
  }
  await background?.stop().catch((e) => console.error(e));
  if (embedded) {
    console.log("Stopping the embedded database…");
    await embedded.stop().catch((e) => console.error(e));
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main() {
  let url = process.env.DATABASE_URL;
  if (!url) {
    console.log("No DATABASE_URL: starting the embedded PostgreSQL (data in .data/)…");
    embedded = await startEmbeddedPostgres();
    url = embedded.url;
  } else {
    console.log("Using the database at DATABASE_URL.");
  }
  const applied = await applyMigrations(url);
  if (applied.length) console.log(`Applied migrations: ${applied.join(", ")}`);
  await ensureDemoData(url);

  // The outbox worker and scheduled plan changes run in this process (npm run worker runs
  // them on their own in production).
  const workDb = createPrismaClient(url);
  background = startBackgroundWork(workDb, { log: (m) => console.log(`[worker] ${m}`) });
  // First start: fill the finance review queue in the background (the page shows progress).
  void ensurePreviewsComputed(workDb, background.provider)
    .then((r) => r && console.log("[worker] invoice previews computed for the review queue"))
    .catch((e) => console.error(`[worker] computing invoice previews failed: ${e instanceof Error ? e.message : e}`));
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const { rows } = await pool.query<{ email: string }>(
    "SELECT email FROM staff_users WHERE auth_source = 'credentials' AND active ORDER BY role, email",
  );
  await pool.end();

  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  next = spawn(process.execPath, [nextBin, production ? "start" : "dev", "--port", String(port)], {
    cwd: root,
    stdio: ["inherit", "pipe", "inherit"],
    env: { ...process.env, DATABASE_URL: url, NEXT_TELEMETRY_DISABLED: "1", MD_EMBEDDED_DB: embedded ? "1" : "" },
  });
  let announced = false;
  next.stdout!.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (!announced && /Ready|started server|Local:/i.test(chunk.toString())) {
      announced = true;
      console.log(`\n  Meterdesk is running at http://localhost:${port}`);
      if (rows.length) {
        console.log("  Demo sign-in (password: meterdesk):");
        for (const r of rows) console.log(`    ${r.email}`);
      }
      console.log("  Press Ctrl-C to stop (the database stops cleanly too).\n");
    }
  });
  next.on("exit", (code) => void shutdown(code ?? 0));
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
});
