// The demo catalog as each provider would hold it: provider-looking ids derived from Meterdesk's
// own catalog rows (plan key, version, currency; meter key), so the dev launcher, which builds
// the adapter's <KIND>_CATALOG mapping, and the demo fake, which needs the way back, agree
// without sharing any state.
import type { Db } from "@/lib/server/db/client";
import type { MetronomeCatalog } from "@/lib/providers/metronome/map";
import { USD_CENTS_CREDIT_TYPE } from "@/lib/providers/metronome/map";
import type { OrbCatalog } from "@/lib/providers/orb/map";
import type { StripeCatalog } from "@/lib/providers/stripe/map";

export type DemoKind = "orb" | "metronome" | "stripe";
export const DEMO_KINDS: readonly DemoKind[] = ["orb", "metronome", "stripe"];

export type DemoPlanVersion = { id: string; planKey: string; planName: string; version: number; currency: string };
export type DemoMeter = { key: string; name: string; unit: string };
export type DemoCatalog = { versions: DemoPlanVersion[]; meters: DemoMeter[] };

/** Metronome's fiat credit types, one per currency (USD cents is Metronome's well-known one). */
export const METRONOME_CREDIT_TYPES: Record<string, string> = {
  USD: USD_CENTS_CREDIT_TYPE,
  EUR: "9b1b8f3e-2a51-4c8e-8f0a-6e0d1c2b3a4d",
  GBP: "5c7e2d1a-8b3f-4e6a-9d2c-1f0e3b4a5c6d",
};
export const METRONOME_CREDIT_PRODUCT = "prod_credits";

export async function loadDemoCatalog(db: Db): Promise<DemoCatalog> {
  const versions = await db.$queryRaw<Array<{ id: string; plan_key: string; plan_name: string; version: number; currency: string }>>`
    SELECT v.id::text, p.key AS plan_key, p.name AS plan_name, v.version, v.currency
      FROM plan_versions v JOIN plans p ON p.id = v.plan_id ORDER BY p.tier, p.key, v.version, v.currency`;
  const meters = await db.$queryRaw<Array<{ key: string; name: string; unit: string }>>`
    SELECT key, name, unit FROM meters ORDER BY display_order, key`;
  return {
    versions: versions.map((v) => ({ id: v.id, planKey: v.plan_key, planName: v.plan_name, version: Number(v.version), currency: v.currency })),
    meters,
  };
}

const versionSlug = (v: DemoPlanVersion) => `${v.planKey}_v${v.version}_${v.currency.toLowerCase()}`;

/** Provider ids of the demo catalog, per provider. */
export const demoIds = {
  orbPlan: (v: DemoPlanVersion) => `plan_${versionSlug(v)}`,
  orbMetric: (meterKey: string) => `bm_${meterKey}`,
  metronomePlanProduct: (v: DemoPlanVersion) => `prod_plan_${versionSlug(v)}`,
  metronomeUsageProduct: (meterKey: string) => `prod_usage_${meterKey}`,
  metronomeMetric: (meterKey: string) => `bm_${meterKey}`,
  stripePlanPrice: (v: DemoPlanVersion) => `price_${versionSlug(v)}`,
  stripeUsagePrice: (meterKey: string) => `price_usage_${meterKey}`,
  stripeMeter: (meterKey: string) => `mtr_${meterKey}`,
};

export function orbCatalog(c: DemoCatalog): OrbCatalog {
  return {
    plans: Object.fromEntries(c.versions.map((v) => [v.id, demoIds.orbPlan(v)])),
    meters: Object.fromEntries(c.meters.map((m) => [m.key, { eventName: m.key, metricId: demoIds.orbMetric(m.key) }])),
  };
}

export function metronomeCatalog(c: DemoCatalog): MetronomeCatalog {
  const currencies = new Set(c.versions.map((v) => v.currency));
  return {
    plans: Object.fromEntries(c.versions.map((v) => [v.id, demoIds.metronomePlanProduct(v)])),
    meters: Object.fromEntries(
      c.meters.map((m) => [m.key, { eventType: m.key, billableMetricId: demoIds.metronomeMetric(m.key), productId: demoIds.metronomeUsageProduct(m.key) }]),
    ),
    creditProductId: METRONOME_CREDIT_PRODUCT,
    creditTypes: Object.fromEntries(Object.entries(METRONOME_CREDIT_TYPES).filter(([currency]) => currencies.has(currency))),
  };
}

export function stripeCatalog(c: DemoCatalog): StripeCatalog {
  return {
    plans: Object.fromEntries(c.versions.map((v) => [v.id, demoIds.stripePlanPrice(v)])),
    meters: Object.fromEntries(
      c.meters.map((m) => [m.key, { meterId: demoIds.stripeMeter(m.key), eventName: m.key, priceId: demoIds.stripeUsagePrice(m.key) }]),
    ),
  };
}

/** The adapter's catalog mapping for `kind` (what <KIND>_CATALOG holds). */
export function catalogFor(kind: DemoKind, c: DemoCatalog): OrbCatalog | MetronomeCatalog | StripeCatalog {
  return kind === "orb" ? orbCatalog(c) : kind === "metronome" ? metronomeCatalog(c) : stripeCatalog(c);
}

/** Provider id → value, for the way back (plan ids to plan versions, event names to meters). */
export function invert(map: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(map).map(([k, v]) => [v, k]));
}
