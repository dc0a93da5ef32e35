// Starts what the end-to-end tests run against: a fresh embedded PostgreSQL with a small
// demo data set, a local OIDC issuer, and the built console (`next start`). Playwright's
// webServer runs this; it builds first if there is no production build yet.
//
// E2E_PROVIDER=orb|metronome|stripe runs the console on that provider's real adapter against a
// local fake of its API whose state is the demo data (test/fakes/demo), as
// `npm run dev -- --provider <kind>` does. Several instances run at once, one per provider, each
// with its own ports (E2E_PORT, E2E_OIDC_PORT, E2E_PG_PORT, E2E_FAKE_PORT), its own database
// (E2E_DB_NAME) and, unless E2E_DATABASE_URL names a server to share, its own embedded
// PostgreSQL under E2E_PG_DIR; they all serve the same `.next` production build.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { createPrismaClient } from "../lib/server/db/client";
import { startBackgroundWork, type BackgroundWorkHandle } from "../lib/server/outbox/background";
import { ensurePreviewsComputed } from "../lib/server/services/recompute-previews";
import { applyMigrations, root } from "./db/engine";
import { startEmbeddedPostgres, type EmbeddedHandle } from "./db/embedded";
import { startOidcServer } from "../e2e/fakes/oidc-server";
import { seedDatabase } from "../prisma/seed/index";
import { DEMO_KINDS, DEMO_LABELS, runConsoleOnDemoFake, type DemoFake, type DemoKind } from "../test/fakes/demo";

const providerEnv = (process.env.E2E_PROVIDER ?? "sandbox").trim().toLowerCase();
if (providerEnv !== "sandbox" && !DEMO_KINDS.includes(providerEnv as DemoKind)) {
  console.error(`E2E_PROVIDER=${providerEnv}: expected sandbox or one of ${DEMO_KINDS.join(", ")}`);
  process.exit(2);
}
const kind = providerEnv === "sandbox" ? null : (providerEnv as DemoKind);
const appPort = Number(process.env.E2E_PORT ?? 3100);
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 3199);
const appUrl = `http://localhost:${appPort}`;
const databaseName = process.env.E2E_DB_NAME ?? (kind ? `meterdesk_e2e_${kind}` : "meterdesk_e2e");
const dataDir = process.env.E2E_PG_DIR ?? (kind ? `.data-e2e-${kind}` : ".data-e2e");

let embedded: EmbeddedHandle | null = null;
let background: BackgroundWorkHandle | null = null;
let next: ChildProcess | null = null;
let oidc: { close: () => Promise<void> } | null = null;
let fake: DemoFake | null = null;

async function stop() {
  next?.kill("SIGTERM");
  await background?.stop().catch(() => {});
  await fake?.close().catch(() => {});
  await oidc?.close().catch(() => {});
  await embedded?.stop().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

/** Drops and recreates `name` on the server at `serverUrl`; returns the new database's URL. */
async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freshDatabase(): Promise<string> {
  if (process.env.E2E_DATABASE_URL) {
    // A server shared by every instance: the sandbox suite uses the database it names as it
    // is; a provider instance makes its own database beside it.
    return kind ? recreateDatabase(process.env.E2E_DATABASE_URL, databaseName) : process.env.E2E_DATABASE_URL;
  }
  embedded = await startEmbeddedPostgres({ dir: dataDir, port: Number(process.env.E2E_PG_PORT ?? 54369), database: "postgres", quiet: true });
  return recreateDatabase(embedded.url, databaseName);
}

async function main() {
  const url = await freshDatabase();
  await applyMigrations(url);
  await seedDatabase(url, { customers: Number(process.env.E2E_CUSTOMERS ?? 300), days: Number(process.env.E2E_DAYS ?? 45) });
  const workDb = createPrismaClient(url);
  if (kind) {
    // The demo customers move to the provider, and its fake serves them from the demo data.
    ({ fake } = await runConsoleOnDemoFake(kind, workDb, { port: Number(process.env.E2E_FAKE_PORT ?? 0), log: (m) => console.log(m) }));
    console.log(`Billing provider: ${DEMO_LABELS[kind]} adapter, on the local ${DEMO_LABELS[kind]} demo fake at ${fake.baseUrl}`);
  }
  // The outbox worker and scheduled plan changes run in this process (npm run worker runs
  // them on their own in production).
  background = startBackgroundWork(workDb, { log: (m) => console.log(`[worker] ${m}`) });
  await ensurePreviewsComputed(workDb, background.provider);
  const clientId = "meterdesk-e2e";
  const clientSecret = "e2e-client-secret";
  oidc = await startOidcServer({ port: oidcPort, appUrl, clientId, clientSecret });

  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("No production build: running next build…");
    const build = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
      cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) throw new Error("next build failed");
  }
  next = spawn(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "start", "--port", String(appPort)], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: url,
      NEXTAUTH_URL: appUrl,
      NEXTAUTH_SECRET: "meterdesk-e2e-secret",
      MD_CREDENTIALS_LOGIN: "true",
      OIDC_ISSUER: `http://localhost:${oidcPort}`,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_ROLE_MAP: "mdk-finance=finance,mdk-support=support",
      OIDC_NAME: "Test SSO",
    },
  });
  next.on("exit", (code) => {
    console.error(`next start exited (${code})`);
    void stop();
  });
  console.log(`e2e database: ${url}`);
}

main().catch((error) => {
  console.error(error);
  void stop();
});
