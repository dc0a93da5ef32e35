// Starts what the end-to-end tests run against: a fresh embedded PostgreSQL with a small
// demo data set, a local OIDC issuer, and the built console (`next start`). Playwright's
// webServer runs this; it builds first if there is no production build yet.
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

const appPort = Number(process.env.E2E_PORT ?? 3100);
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 3199);
const appUrl = `http://localhost:${appPort}`;

let embedded: EmbeddedHandle | null = null;
let background: BackgroundWorkHandle | null = null;
let next: ChildProcess | null = null;
let oidc: { close: () => Promise<void> } | null = null;

async function stop() {
  next?.kill("SIGTERM");
  await background?.stop().catch(() => {});
  await oidc?.close().catch(() => {});
  await embedded?.stop().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

async function freshDatabase(): Promise<string> {
  if (process.env.E2E_DATABASE_URL) return process.env.E2E_DATABASE_URL;
  embedded = await startEmbeddedPostgres({ dir: ".data-e2e", port: Number(process.env.E2E_PG_PORT ?? 54369), database: "postgres", quiet: true });
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS "meterdesk_e2e" WITH (FORCE)');
  await admin.query('CREATE DATABASE "meterdesk_e2e"');
  await admin.end();
  const url = new URL(embedded.url);
  url.pathname = "/meterdesk_e2e";
  return url.toString();
}

async function main() {
  const url = await freshDatabase();
  await applyMigrations(url);
  await seedDatabase(url, { customers: Number(process.env.E2E_CUSTOMERS ?? 300), days: Number(process.env.E2E_DAYS ?? 45) });
  // The outbox worker and scheduled plan changes run in this process (npm run worker runs
  // them on their own in production).
  const workDb = createPrismaClient(url);
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
