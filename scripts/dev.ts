// npm run dev: the whole console from a fresh clone. With no DATABASE_URL an embedded
// PostgreSQL starts under .data/, migrations apply, demo data seeds once, then Next serves.
// `--provider orb|metronome|stripe` runs the console on that provider's real adapter against a
// local fake of its API whose state is the demo data (test/fakes/demo); `--provider sandbox`, or
// no flag and no BILLING_PROVIDER, runs it on the built-in sandbox.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { createPrismaClient } from "../lib/server/db/client";
import { startBackgroundWork, type BackgroundWorkHandle } from "../lib/server/outbox/background";
import { ensurePreviewsComputed } from "../lib/server/services/recompute-previews";
import { applyMigrations, root } from "./db/engine";
import { startEmbeddedPostgres, type EmbeddedHandle } from "./db/embedded";
import { ensureDemoData } from "./db/ensure-demo-data";
import { providerLabels } from "../lib/providers/links";
import type { ProviderKind } from "../lib/providers/types";
import { DEFAULT_DEMO_PORTS, DEMO_KINDS, DEMO_LABELS, linkDemoCustomers, runConsoleOnDemoFake, type DemoFake, type DemoKind } from "../test/fakes/demo";

const args = process.argv.slice(2);
/** `--name value` or `--name=value`. */
function flag(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
const port = Number(flag("port") ?? process.env.PORT ?? 3000);
const production = args.includes("--production");
const providerFlag = flag("provider")?.trim().toLowerCase();
if (providerFlag !== undefined && providerFlag !== "sandbox" && !DEMO_KINDS.includes(providerFlag as DemoKind)) {
  console.error(`--provider ${providerFlag}: expected one of sandbox, ${DEMO_KINDS.join(", ")}`);
  process.exit(2);
}
const fakePortFlag = flag("fake-port") ?? process.env.MD_FAKE_PORT;

let embedded: EmbeddedHandle | null = null;
let background: BackgroundWorkHandle | null = null;
let next: ChildProcess | null = null;
let fake: DemoFake | null = null;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  if (next && next.exitCode === null) {
    next.kill("SIGTERM");
    await new Promise((resolve) => next!.once("exit", resolve));
  }
  await background?.stop().catch((e) => console.error(e));
  await fake?.close().catch((e) => console.error(e));
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

  const workDb = createPrismaClient(url);
  // Which provider this console runs on. A --provider flag, or no BILLING_PROVIDER at all (the
  // sandbox), is the launcher's choice: the demo customers are linked to it first, since
  // operations, the worker and reconciliation key off customers.provider (see
  // test/fakes/demo/link.ts). A BILLING_PROVIDER set without the flag is someone's own
  // configuration (a real account, say): it is used as it is and nothing is relinked.
  const configured = (process.env.BILLING_PROVIDER ?? "").trim().toLowerCase();
  const chosen = (providerFlag ?? (configured === "" || configured === "sandbox" ? "sandbox" : null)) as ProviderKind | null;
  const announceLinked = (linked: { customers: number; operations: number }, to: ProviderKind) => {
    if (linked.customers > 0) {
      console.log(`Linked ${linked.customers} demo customer(s) to ${providerLabels[to]}${linked.operations > 0 ? `, with ${linked.operations} unfinished provider operation(s)` : ""}.`);
    }
  };
  if (chosen === "sandbox") announceLinked(await linkDemoCustomers(workDb, chosen), chosen);
  let providerLine = `Billing provider: ${providerLabels[configured || "sandbox"] ?? configured} (BILLING_PROVIDER)`;
  if (chosen && chosen !== "sandbox") {
    const kind = chosen as DemoKind;
    const fakePort = Number(fakePortFlag ?? DEFAULT_DEMO_PORTS[kind]);
    // Links the demo customers and points the worker here and the Next server below at the fake.
    const started = await runConsoleOnDemoFake(kind, workDb, { port: fakePort, log: (m) => console.log(m) }).catch((e: unknown) => {
      const busy = (e as NodeJS.ErrnoException)?.code === "EADDRINUSE";
      throw new Error(busy ? `Port ${fakePort} for the ${DEMO_LABELS[kind]} fake is in use: pass --fake-port N.` : String(e));
    });
    fake = started.fake;
    announceLinked(started.linked, kind);
    providerLine = `Billing provider: ${DEMO_LABELS[kind]} adapter, on the local ${DEMO_LABELS[kind]} demo fake at ${fake.baseUrl} (its state is the demo data)`;
  } else if (chosen === "sandbox") {
    process.env.BILLING_PROVIDER = "sandbox";
    providerLine = "Billing provider: the built-in sandbox";
  }
  console.log(providerLine);

  // The outbox worker and scheduled plan changes run in this process (npm run worker runs
  // them on their own in production).
  background = startBackgroundWork(workDb, { log: (m) => console.log(`[worker] ${m}`) });
  // First start, or the console switched to another provider: fill the finance review queue in
  // the background (the page shows progress).
  void ensurePreviewsComputed(workDb, background.provider)
    .then((r) => r && console.log("[worker] invoice previews computed for the review queue"))
    .catch((e) => console.error(`[worker] computing invoice previews failed: ${e instanceof Error ? e.message : e}`));
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const { rows } = await pool.query<{ email: string }>(
    "SELECT email FROM staff_users WHERE auth_source = 'credentials' AND active ORDER BY role, email",
  );
  await pool.end();

  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  // The server runs recomputes too (a finance user's "Recompute"): same young generation as here.
  next = spawn(process.execPath, [...youngGeneration(), nextBin, production ? "start" : "dev", "--port", String(port)], {
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
      console.log(`  ${providerLine}`);
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

/**
 * The launcher's --max-semi-space-size (see package.json), passed on to the server: the preview
 * recompute allocates many short-lived objects, and a 64 MB young generation collects them
 * with a fraction of the default's garbage-collection time.
 */
function youngGeneration(): string[] {
  return process.execArgv.filter((a) => a.startsWith("--max-semi-space-size"));
}
