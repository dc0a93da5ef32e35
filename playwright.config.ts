import { defineConfig, type PlaywrightTestConfig } from "@playwright/test";
import { existsSync } from "node:fs";

const port = Number(process.env.E2E_PORT ?? 3100);

// Debian's Chromium when present (CI installs it with apt); else Playwright's own browser,
// so a laptop with `npx playwright install chromium` works too.
const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

type WebServer = NonNullable<Extract<PlaywrightTestConfig["webServer"], unknown[]>>[number];

// The console on each provider's real adapter, against a local fake of its API whose state is the
// demo data (test/fakes/demo): one small server per provider, each with its own ports, database
// and embedded PostgreSQL (.data-e2e-<kind>), all serving the same production build. Only
// e2e/provider-fakes.spec.ts runs there.
const providerFakes = [
  { kind: "orb", label: "Orb", port: 3101, oidcPort: 3196, pgPort: 54371, fakePort: 4111 },
  { kind: "metronome", label: "Metronome", port: 3102, oidcPort: 3197, pgPort: 54372, fakePort: 4112 },
  { kind: "stripe", label: "Stripe Billing", port: 3103, oidcPort: 3198, pgPort: 54373, fakePort: 4113 },
] as const;

/** Where a provider instance's database lives: its own embedded server, or its own database on E2E_DATABASE_URL's. */
function providerDatabaseUrl(kind: string, pgPort: number): string {
  const url = new URL(process.env.E2E_DATABASE_URL ?? `postgresql://postgres:meterdesk@127.0.0.1:${pgPort}/postgres`);
  url.pathname = `/meterdesk_e2e_${kind}`;
  return url.toString();
}

// Playwright starts every webServer whatever projects run; start only the servers of the
// projects named with --project (same matching as Playwright's: any case, `*` wildcards).
function selectedProjects(argv: string[]): string[] | null {
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith("--project=")) names.push(arg.slice("--project=".length));
    else if (arg === "--project") for (; argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("-"); i++) names.push(argv[i + 1]!);
  }
  return names.length ? names : null;
}
const selected = selectedProjects(process.argv);
const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
const runs = (project: string) =>
  !selected || selected.some((name) => new RegExp(`^${name.split("*").map(escape).join(".*")}$`, "i").test(project));

const webServer: WebServer[] = [];
if (runs("sandbox")) {
  webServer.push({
    command: "npx tsx scripts/e2e-server.ts",
    url: `http://localhost:${port}/login`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
  });
}
for (const p of providerFakes) {
  if (!runs(p.kind)) continue;
  webServer.push({
    name: p.kind,
    command: "npx tsx scripts/e2e-server.ts",
    url: `http://localhost:${p.port}/login`,
    env: {
      E2E_PROVIDER: p.kind,
      E2E_DB_NAME: `meterdesk_e2e_${p.kind}`,
      E2E_PG_DIR: `.data-e2e-${p.kind}`,
      E2E_PORT: String(p.port),
      E2E_OIDC_PORT: String(p.oidcPort),
      E2E_PG_PORT: String(p.pgPort),
      E2E_FAKE_PORT: String(p.fakePort),
      E2E_CUSTOMERS: "40",
      E2E_DAYS: "20",
    },
    timeout: 300_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    stdout: "pipe",
    stderr: "pipe",
  });
}

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/e2e-results.json" }]],
  use: {
    baseURL: `http://localhost:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "sandbox", testIgnore: "**/provider-fakes.spec.ts" },
    ...providerFakes.map((p) => ({
      name: p.kind,
      testMatch: "**/provider-fakes.spec.ts",
      use: { baseURL: `http://localhost:${p.port}` },
      metadata: { provider: p.kind, providerLabel: p.label, databaseUrl: providerDatabaseUrl(p.kind, p.pgPort) },
    })),
  ],
  webServer,
});
