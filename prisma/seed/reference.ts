// Staff users, role credit limits, settings and the catalog tables.
import type { BulkLoader } from "./bulk";
import type { Catalog } from "./catalog";
import { createRng, type Rng } from "./prng";

export const ROLES = ["support", "support_lead", "finance", "finance_admin", "product", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Major units; null = unlimited. */
export const ROLE_LIMITS: Record<Role, number | null> = {
  support: 100,
  support_lead: 1000,
  finance: 10000,
  finance_admin: 100000,
  product: 0,
  admin: null,
};

export type Staff = { id: string; email: string; name: string; role: Role };

const STAFF_DEFS: { local: string; name: string; role: Role }[] = [
  { local: "support", name: "Sam Rivera (Support)", role: "support" },
  { local: "support_lead", name: "Priya Okafor (Support lead)", role: "support_lead" },
  { local: "finance", name: "Lena Lindqvist (Finance)", role: "finance" },
  { local: "finance_admin", name: "Mateo Castillo (Finance admin)", role: "finance_admin" },
  { local: "product", name: "Yuki Tanaka (Product)", role: "product" },
  { local: "admin", name: "Ada Brennan (Admin)", role: "admin" },
  { local: "finance2", name: "Ravi Iyer (Finance)", role: "finance" },
  { local: "support2", name: "Noor Haddad (Support)", role: "support" },
];

export const DEMO_EMAIL_DOMAIN = "demo.meterdesk.test";

export function buildStaff(seed: number): Staff[] {
  const rng = createRng(seed, "staff");
  return STAFF_DEFS.map((d) => ({ id: rng.uuid(), email: `${d.local}@${DEMO_EMAIL_DOMAIN}`, name: d.name, role: d.role }));
}

export const DEFAULT_SETTINGS: Record<string, unknown> = {
  "anomaly.total_above_last.multiplier": 2,
  "anomaly.total_above_last.floor_minor": 5000,
  "anomaly.usage_spike.multiplier": 5,
  "anomaly.missing_days.min_active_days": 7,
  "credits.max_amount": 1000000,
  "ingest.max_age_days": 35,
};

export async function loadReference(
  bulk: BulkLoader,
  staff: Staff[],
  catalog: Catalog,
  now: Date,
  rng: Rng,
): Promise<void> {
  const staffSince = new Date(now.getTime() - 400 * 86_400_000).toISOString();
  for (const s of staff) {
    const lastSignIn = new Date(now.getTime() - rng.int(1, 72) * 3_600_000).toISOString();
    await bulk.add("staff_users", [s.id, s.email, s.name, s.role, true, "credentials", staffSince, lastSignIn]);
  }
  for (const role of ROLES) {
    const limit = ROLE_LIMITS[role];
    await bulk.add("role_credit_limits", [role, limit === null ? null : String(limit), now.toISOString()]);
  }
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    await bulk.add("settings", [key, JSON.stringify(value), now.toISOString()]);
  }
  const catalogSince = new Date(now.getTime() - 3 * 365 * 86_400_000).toISOString();
  for (const m of catalog.meters) await bulk.add("meters", [m.id, m.key, m.name, m.unit, m.order]);
  for (const p of catalog.plans) {
    const status = p.def.archived ? "archived" : "active";
    await bulk.add("plans", [p.id, p.def.key, p.def.name, p.def.description, status, p.def.tier, catalogSince]);
  }
  const planIds = new Map(catalog.plans.map((p) => [p.def.key, p.id]));
  for (const v of catalog.versions) {
    await bulk.add("plan_versions", [
      v.id, planIds.get(v.planKey)!, 1, v.currency, String(v.baseFeeMinor),
      v.minimumMinor === null ? null : String(v.minimumMinor), catalogSince,
    ]);
    for (const pr of v.prices) {
      const meterId = catalog.meters.find((m) => m.key === pr.meterKey)!.id;
      const p = pr.price;
      await bulk.add("plan_prices", [
        pr.id, v.id, meterId, p.model,
        p.model === "per_unit" ? p.unitPrice : null,
        p.model === "package" ? p.packageSize : null,
        p.model === "package" ? p.packagePrice : null,
        pr.included,
      ]);
      if (p.model === "graduated" || p.model === "volume") {
        for (const [i, t] of p.tiers.entries()) {
          await bulk.add("price_tiers", [rng.uuid(), pr.id, i + 1, t.upTo, t.unitPrice, null]);
        }
      }
    }
  }
}
