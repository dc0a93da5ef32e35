// Loads plan versions from the catalog tables into lib/billing's Plan shape. No "server-only":
// the worker, the sandbox provider and the benchmark use it outside Next too.
import { minorToDecimal, trimDecimalText, type Plan, type PlanMeter, type Price } from "@/lib/billing";
import type { Db } from "../db/client";

type PriceRow = {
  plan_version_id: string;
  meter_key: string;
  meter_name: string;
  unit: string;
  display_order: number;
  model: "per_unit" | "graduated" | "volume" | "package";
  unit_price: string | null;
  package_size: string | null;
  package_price: string | null;
  included_quantity: string;
  tiers: Array<{ up_to: string | null; unit_price: string; flat_fee: string | null }> | null;
};

type VersionRow = {
  id: string;
  plan_key: string;
  plan_name: string;
  currency: string;
  base_fee_minor: bigint;
  minimum_commitment_minor: bigint | null;
};

/** numeric columns come back as text like "0.0125000000": trim the trailing zeros. */
const dec = trimDecimalText;

function toPrice(row: PriceRow): Price {
  switch (row.model) {
    case "per_unit":
      return { model: "per_unit", unitPrice: dec(row.unit_price ?? "0") };
    case "package":
      return { model: "package", packageSize: dec(row.package_size ?? "1"), packagePrice: dec(row.package_price ?? "0") };
    default:
      return {
        model: row.model,
        tiers: (row.tiers ?? []).map((t) => ({
          upTo: t.up_to === null ? null : dec(String(t.up_to)),
          unitPrice: dec(String(t.unit_price)),
          ...(t.flat_fee !== null ? { flatFee: dec(String(t.flat_fee)) } : {}),
        })),
      };
  }
}

export type CatalogPlan = Plan & { planKey: string; planVersionId: string };

// Plan versions are immutable once created (a price change is a new version), so a loaded
// version can be kept for the life of the client.
const versionCache = new WeakMap<Db, Map<string, CatalogPlan>>();

/** Plan versions by id (all of them when no ids are given). Plan.id is the plan version id. */
export async function loadBillingPlans(db: Db, versionIds?: string[]): Promise<Map<string, CatalogPlan>> {
  const cache = versionCache.get(db) ?? new Map<string, CatalogPlan>();
  versionCache.set(db, cache);
  if (versionIds && versionIds.every((id) => cache.has(id))) return new Map(versionIds.map((id) => [id, cache.get(id)!]));
  const loaded = await readBillingPlans(db, versionIds);
  for (const [id, plan] of loaded) cache.set(id, plan);
  return loaded;
}

async function readBillingPlans(db: Db, versionIds?: string[]): Promise<Map<string, CatalogPlan>> {
  const filter = versionIds ? versionIds : null;
  const versions = await db.$queryRaw<VersionRow[]>`
    SELECT v.id::text AS id, p.key AS plan_key, p.name AS plan_name, v.currency, v.base_fee_minor, v.minimum_commitment_minor
      FROM plan_versions v JOIN plans p ON p.id = v.plan_id
     WHERE ${filter}::uuid[] IS NULL OR v.id = ANY(${filter}::uuid[])`;
  const prices = await db.$queryRaw<PriceRow[]>`
    SELECT pp.plan_version_id::text AS plan_version_id, m.key AS meter_key, m.name AS meter_name, m.unit, m.display_order,
           pp.model::text AS model, pp.unit_price::text AS unit_price, pp.package_size::text AS package_size,
           pp.package_price::text AS package_price, pp.included_quantity::text AS included_quantity,
           (SELECT json_agg(json_build_object('up_to', t.up_to::text, 'unit_price', t.unit_price::text, 'flat_fee', t.flat_fee::text) ORDER BY t.position)
              FROM price_tiers t WHERE t.price_id = pp.id) AS tiers
      FROM plan_prices pp JOIN meters m ON m.id = pp.meter_id
     WHERE ${filter}::uuid[] IS NULL OR pp.plan_version_id = ANY(${filter}::uuid[])
     ORDER BY m.display_order, m.key`;
  const metersByVersion = new Map<string, PlanMeter[]>();
  for (const row of prices) {
    const list = metersByVersion.get(row.plan_version_id) ?? [];
    list.push({ meterKey: row.meter_key, displayName: row.meter_name, unit: row.unit, includedQuantity: dec(row.included_quantity), price: toPrice(row) });
    metersByVersion.set(row.plan_version_id, list);
  }
  const plans = new Map<string, CatalogPlan>();
  for (const v of versions) {
    const minimum = v.minimum_commitment_minor;
    plans.set(v.id, {
      id: v.id,
      planVersionId: v.id,
      planKey: v.plan_key,
      name: v.plan_name,
      currency: v.currency,
      baseFee: minorToDecimal(BigInt(v.base_fee_minor), v.currency).toFixed(),
      meters: metersByVersion.get(v.id) ?? [],
      ...(minimum !== null ? { minimumCommitment: minorToDecimal(BigInt(minimum), v.currency).toFixed() } : {}),
    });
  }
  return plans;
}
