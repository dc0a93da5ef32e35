// The demo catalog: 8 meters, 6 active plans plus an archived legacy plan, USD versions
// for all and EUR versions of pro and team. Prices are decimal strings in major units.
import { Decimal } from "decimal.js";
import type { Rng } from "./prng";

export const METERS = [
  { key: "compute_small_hours", name: "Compute — small instance", unit: "hour" },
  { key: "compute_medium_hours", name: "Compute — medium instance", unit: "hour" },
  { key: "compute_large_hours", name: "Compute — large instance", unit: "hour" },
  { key: "bandwidth_gb", name: "Bandwidth", unit: "GB" },
  { key: "build_minutes", name: "Build minutes", unit: "minute" },
  { key: "disk_gb_month", name: "Disk storage", unit: "GB-month" },
  { key: "seats", name: "Seats", unit: "seat" },
  { key: "functions_invocations", name: "Function invocations", unit: "1M invocations" },
] as const;
export type MeterKey = (typeof METERS)[number]["key"];
export const METER_KEYS: MeterKey[] = METERS.map((m) => m.key);

export const PLAN_KEYS = ["free", "starter", "pro", "team", "business", "enterprise", "legacy_hobby"] as const;
export type PlanKey = (typeof PLAN_KEYS)[number];

type PlanDef = {
  key: PlanKey;
  name: string;
  description: string;
  tier: number;
  archived?: boolean;
  baseFeeMinor: number;
  minimumMinor?: number;
  /** Multiplier on list unit prices (volume discount of bigger plans). */
  discount: string;
  /** Included quantity per meter, in METERS order. */
  included: number[];
  eur?: { baseFeeMinor: number };
};

export const PLAN_DEFS: PlanDef[] = [
  { key: "free", name: "Free", description: "For side projects: one small instance and a generous allowance.", tier: 0, baseFeeMinor: 0, discount: "1", included: [750, 0, 0, 100, 500, 5, 1, 1] },
  { key: "starter", name: "Starter", description: "For small teams shipping their first production app.", tier: 1, baseFeeMinor: 2000, discount: "1", included: [750, 0, 0, 250, 2000, 20, 3, 2] },
  { key: "pro", name: "Pro", description: "Production workloads with more compute, builds and seats.", tier: 2, baseFeeMinor: 9900, discount: "0.95", included: [1500, 200, 0, 1000, 6000, 100, 10, 10], eur: { baseFeeMinor: 9200 } },
  { key: "team", name: "Team", description: "Collaboration at scale: larger allowances, large instances.", tier: 3, baseFeeMinor: 29900, discount: "0.9", included: [3000, 500, 100, 2000, 12000, 250, 25, 25], eur: { baseFeeMinor: 27900 } },
  { key: "business", name: "Business", description: "High-volume usage with discounted rates and priority support.", tier: 4, baseFeeMinor: 99900, discount: "0.8", included: [10000, 2000, 500, 10000, 50000, 1000, 100, 100] },
  { key: "enterprise", name: "Enterprise", description: "Annual contract with a minimum monthly commitment.", tier: 5, baseFeeMinor: 500000, minimumMinor: 1000000, discount: "0.7", included: [25000, 5000, 2000, 50000, 150000, 5000, 500, 500] },
  { key: "legacy_hobby", name: "Hobby (legacy)", description: "Retired in favour of Free and Starter; existing customers keep it.", tier: 1, archived: true, baseFeeMinor: 700, discount: "1.1", included: [750, 0, 0, 100, 1000, 10, 1, 1] },
];

export type TierDef = { upTo: string | null; unitPrice: string };
export type PriceDef =
  | { model: "per_unit"; unitPrice: string }
  | { model: "graduated" | "volume"; tiers: TierDef[] }
  | { model: "package"; packageSize: string; packagePrice: string };

const scale = (price: string, discount: string) => new Decimal(price).times(discount).toDecimalPlaces(6).toString();
const tiers = (discount: string, rows: [string | null, string][]): TierDef[] =>
  rows.map(([upTo, p]) => ({ upTo, unitPrice: scale(p, discount) }));

/** List prices per meter (METERS order), scaled by the plan's discount. */
export function priceFor(meter: MeterKey, discount: string): PriceDef {
  switch (meter) {
    case "compute_small_hours": return { model: "per_unit", unitPrice: scale("0.0125", discount) };
    case "compute_medium_hours": return { model: "per_unit", unitPrice: scale("0.05", discount) };
    case "compute_large_hours": return { model: "volume", tiers: tiers(discount, [["1000", "0.2"], ["5000", "0.18"], [null, "0.16"]]) };
    case "bandwidth_gb": return { model: "graduated", tiers: tiers(discount, [["1000", "0.09"], ["10000", "0.07"], [null, "0.05"]]) };
    case "build_minutes": return { model: "package", packageSize: "1000", packagePrice: scale("5", discount) };
    case "disk_gb_month": return { model: "per_unit", unitPrice: scale("0.1", discount) };
    case "seats": return { model: "per_unit", unitPrice: scale("8", discount) };
    case "functions_invocations": return { model: "graduated", tiers: tiers(discount, [["100", "0.4"], [null, "0.3"]]) };
  }
}

export type CatalogMeter = { id: string; key: MeterKey; name: string; unit: string; order: number };
export type CatalogPrice = { id: string; meterKey: MeterKey; included: string; price: PriceDef };
export type CatalogVersion = {
  id: string;
  planKey: PlanKey;
  planName: string;
  tier: number;
  currency: "USD" | "EUR";
  baseFeeMinor: number;
  minimumMinor: number | null;
  prices: CatalogPrice[];
};
export type CatalogPlan = { id: string; def: PlanDef };
export type Catalog = {
  meters: CatalogMeter[];
  plans: CatalogPlan[];
  versions: CatalogVersion[];
  version(planKey: PlanKey, currency: string): CatalogVersion;
};

/** Builds the catalog with ids drawn from `rng` (deterministic). */
export function buildCatalog(rng: Rng): Catalog {
  const meters = METERS.map((m, i) => ({ id: rng.uuid(), key: m.key, name: m.name, unit: m.unit, order: i + 1 }));
  const plans = PLAN_DEFS.map((def) => ({ id: rng.uuid(), def }));
  const versions: CatalogVersion[] = [];
  for (const { def } of plans) {
    const currencies: ("USD" | "EUR")[] = def.eur ? ["USD", "EUR"] : ["USD"];
    for (const currency of currencies) {
      versions.push({
        id: rng.uuid(),
        planKey: def.key,
        planName: def.name,
        tier: def.tier,
        currency,
        baseFeeMinor: currency === "EUR" ? def.eur!.baseFeeMinor : def.baseFeeMinor,
        minimumMinor: def.minimumMinor ?? null,
        prices: METERS.map((m, i) => ({
          id: rng.uuid(),
          meterKey: m.key,
          included: String(def.included[i]),
          price: priceFor(m.key, def.discount),
        })),
      });
    }
  }
  const byKey = new Map(versions.map((v) => [`${v.planKey}:${v.currency}`, v]));
  return {
    meters,
    plans,
    versions,
    version(planKey, currency) {
      const v = byKey.get(`${planKey}:${currency}`);
      if (!v) throw new Error(`no ${currency} version of plan ${planKey}`);
      return v;
    },
  };
}
