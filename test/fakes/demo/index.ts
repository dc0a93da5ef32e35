// Demo mode of the provider fakes: a local Orb, Metronome or Stripe API whose state is the demo
// data (the sandbox provider's state in the same database), so the console can run on the real
// adapter without an account. `npm run dev -- --provider <kind>` starts one (scripts/dev.ts);
// tests start one over a seeded test database. The fake keeps core.ts's idempotency store and
// request log like the test fakes; its own scheduler applies plan changes as they fall due.
import type { Db } from "@/lib/server/db/client";
import type { FakeHttpServer } from "../core";
import { DemoBacking } from "./backing";
import { catalogFor, loadDemoCatalog, type DemoKind } from "./catalog";
import { metronomeDemoServer } from "./metronome";
import { orbDemoServer } from "./orb";
import { stripeDemoServer } from "./stripe";
import { linkDemoCustomers } from "./link";

export { DEMO_KINDS, type DemoKind } from "./catalog";

/** Where each demo fake listens unless told otherwise. */
export const DEFAULT_DEMO_PORTS: Record<DemoKind, number> = { orb: 4101, metronome: 4102, stripe: 4103 };

export const DEMO_LABELS: Record<DemoKind, string> = { orb: "Orb", metronome: "Metronome", stripe: "Stripe Billing" };

export type DemoFake = {
  kind: DemoKind;
  /** The API's base URL as the adapter's configuration wants it. */
  baseUrl: string;
  /** BILLING_PROVIDER, the key, the base URL, the catalog mapping and the webhook secret. */
  env: Record<string, string>;
  http: FakeHttpServer;
  backing: DemoBacking;
  close(): Promise<void>;
};

export type DemoFakeOptions = {
  /** Default: a free port (tests); the dev launcher passes DEFAULT_DEMO_PORTS[kind] or --fake-port. */
  port?: number;
  /** The provider's clock (tests pin it). */
  now?: () => Date;
  /** How often due plan changes are applied (default 30 s; 0 = never, tests apply them themselves). */
  schedulerIntervalMs?: number;
  log?: (message: string) => void;
};

const SECRETS: Record<DemoKind, string> = {
  orb: "demo-orb-webhook-secret",
  metronome: "demo-metronome-webhook-secret",
  stripe: "whsec_demo_meterdesk",
};

export async function startDemoFake(kind: DemoKind, db: Db, opts: DemoFakeOptions = {}): Promise<DemoFake> {
  const catalog = await loadDemoCatalog(db);
  const backing = new DemoBacking(db, kind, catalog, { now: opts.now });
  const http = kind === "orb" ? orbDemoServer(backing) : kind === "metronome" ? metronomeDemoServer(backing) : stripeDemoServer(backing);
  await http.start(opts.port ?? 0);
  const stopScheduler = opts.schedulerIntervalMs === 0 ? () => {} : backing.startScheduler(opts.schedulerIntervalMs, (m) => opts.log?.(`[${kind} fake] ${m}`));
  const mapping = JSON.stringify(catalogFor(kind, catalog));
  const env: Record<string, string> =
    kind === "orb"
      ? { ORB_API_KEY: "demo-orb-key", ORB_BASE_URL: `${http.url}/v1`, ORB_CATALOG: mapping, ORB_WEBHOOK_SECRET: SECRETS.orb }
      : kind === "metronome"
        ? { METRONOME_BEARER_TOKEN: "demo-metronome-token", METRONOME_BASE_URL: http.url, METRONOME_CATALOG: mapping, METRONOME_WEBHOOK_SECRET: SECRETS.metronome }
        : { STRIPE_SECRET_KEY: "sk_test_demo_meterdesk", STRIPE_BASE_URL: http.url, STRIPE_CATALOG: mapping, STRIPE_WEBHOOK_SECRET: SECRETS.stripe };
  return {
    kind,
    baseUrl: kind === "orb" ? `${http.url}/v1` : http.url,
    env: { BILLING_PROVIDER: kind, ...env },
    http,
    backing,
    async close() {
      stopScheduler();
      await http.close();
    },
  };
}

export { linkDemoCustomers };

/**
 * What a launcher (npm run dev, the e2e server) does to run the console on a fake: link the demo
 * customers to the provider, start its fake, and point this process's environment (the worker
 * here, and the Next server it spawns) at it. A catalog file left in the environment would win
 * over the fake's mapping, so it is removed.
 */
export async function runConsoleOnDemoFake(kind: DemoKind, db: Db, opts: DemoFakeOptions = {}) {
  const linked = await linkDemoCustomers(db, kind);
  const fake = await startDemoFake(kind, db, opts);
  delete process.env[`${kind.toUpperCase()}_CATALOG_FILE`];
  Object.assign(process.env, fake.env);
  return { fake, linked };
}
