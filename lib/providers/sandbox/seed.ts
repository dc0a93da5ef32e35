// Seeds the sandbox provider's own state from Meterdesk's demo data, as if the platform had been
// sending both all along: usage_daily copied into sandbox_usage_daily, active credit grants into
// sandbox_credit_grants (remaining = ledger sum), scheduled plan changes into sandbox_plan_changes.
// A handful of customers get a deliberate divergence (late events never received, a dropped
// day, a double-counted hour) so reconciliation and the shadow-billing anomaly have something
// real to find; they are listed in the `demo.sandbox_divergence` setting.
// Bulk SQL over one transaction. No "server-only" or next/*: the seed scripts import this.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { BillingDecimal, type InvoicePreview } from "@/lib/billing";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { computeShadowPreview, platformCreditGrants, platformUsageDays, previewFor, type UsageDay } from "@/lib/server/billing/customer-billing";
import type { Db } from "@/lib/server/db/client";
import { seededRandom } from "./faults";

export const DIVERGENCE_SETTING = "demo.sandbox_divergence";

export type DivergenceKind = "late_events" | "dropped_day" | "double_counted_hour";
export type SandboxDivergence = {
  customerId: string;
  providerCustomerId: string;
  meterKey: string;
  day: string;
  kind: DivergenceKind;
  /** Meterdesk's quantity and the sandbox's (null = the sandbox has no row for the day). */
  platformQuantity: string;
  sandboxQuantity: string | null;
};

export type SandboxSeedSummary = { usageRows: number; creditGrants: number; planChanges: number; divergences: SandboxDivergence[] };

const KINDS: DivergenceKind[] = ["late_events", "dropped_day", "double_counted_hour"];

/** About 6 diverging customers per 2,000; at least 3, so each kind of divergence is present. */
export function divergenceCount(customers: number): number {
  return Math.max(3, Math.round((customers * 6) / 2000));
}

function linesDiffer(a: InvoicePreview, b: InvoicePreview): boolean {
  if (a.lines.length !== b.lines.length || a.totalMinor !== b.totalMinor) return true;
  return a.lines.some((l, i) => l.amountMinor !== b.lines[i]!.amountMinor);
}

async function seedNow(pool: pg.Pool): Promise<Date> {
  const { rows } = await pool.query<{ value: { seededAt?: string } }>(`SELECT value FROM settings WHERE key = 'demo.seeded'`);
  const at = rows[0]?.value?.seededAt;
  return at ? new Date(at) : new Date();
}

/** Picks diverging (customer, meter, day) rows whose change shows in the upcoming invoice. */
async function chooseDivergences(db: Db, pool: pg.Pool, now: Date, seed: number): Promise<SandboxDivergence[]> {
  const { rows: candidates } = await pool.query<{ id: string; provider_customer_id: string }>(
    `SELECT c.id::text, c.provider_customer_id FROM customers c
      WHERE c.provider = 'sandbox' AND c.provider_customer_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active')
      ORDER BY c.id`,
  );
  const random = seededRandom(seed);
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const wanted = divergenceCount(candidates.length);
  const chosen: SandboxDivergence[] = [];
  for (const c of candidates) {
    if (chosen.length >= wanted) break;
    const shadow = await computeShadowPreview(db, c.id, now);
    if (!shadow) continue;
    const { billing, preview } = shadow;
    const usage = await platformUsageDays(db, c.id, billing.period);
    const credits = await platformCreditGrants(db, c.id, billing.currency);
    const billed = new Set(preview.lines.filter((l) => l.kind === "usage" && l.amountMinor > BigInt(0)).map((l) => l.meterKey));
    const rows = usage.filter((u) => billed.has(u.meterKey) && new BillingDecimal(u.quantity).gt(0));
    const kind = KINDS[chosen.length % KINDS.length]!;
    for (let attempt = 0; attempt < 6 && rows.length > 0; attempt++) {
      const row = rows.splice(Math.floor(random() * rows.length), 1)[0]!;
      let sandboxQuantity: string | null;
      if (kind === "dropped_day") sandboxQuantity = null;
      else if (kind === "late_events") sandboxQuantity = new BillingDecimal(row.quantity).times("0.7").toDecimalPlaces(6, BillingDecimal.ROUND_DOWN).toFixed(6);
      else {
        const { rows: hours } = await pool.query<{ q: string | null }>(
          `SELECT max(h.quantity)::text AS q FROM usage_hourly h JOIN meters m ON m.id = h.meter_id
            WHERE h.customer_id = $1::uuid AND m.key = $2 AND (h.bucket_start AT TIME ZONE 'UTC')::date = $3::date`,
          [c.id, row.meterKey, row.day],
        );
        const hour = hours[0]?.q ? new BillingDecimal(hours[0].q) : new BillingDecimal(row.quantity).div(24).toDecimalPlaces(6, BillingDecimal.ROUND_DOWN);
        sandboxQuantity = new BillingDecimal(row.quantity).plus(hour).toFixed(6);
      }
      const changed: UsageDay[] = usage.flatMap((u) =>
        u === row ? (sandboxQuantity === null ? [] : [{ ...u, quantity: sandboxQuantity }]) : [u],
      );
      if (!linesDiffer(preview, previewFor(billing, changed, credits, now))) continue;
      chosen.push({ customerId: c.id, providerCustomerId: c.provider_customer_id, meterKey: row.meterKey, day: row.day, kind, platformQuantity: row.quantity, sandboxQuantity });
      break;
    }
  }
  return chosen;
}

export async function seedSandboxState(pool: pg.Pool, opts: { seed?: number; now?: Date } = {}): Promise<SandboxSeedSummary> {
  const now = opts.now ?? (await seedNow(pool));
  const db = new PrismaClient({ adapter: new PrismaPg(pool) });
  let divergences: SandboxDivergence[];
  try {
    divergences = await chooseDivergences(db, pool, now, opts.seed ?? 20261126);
  } finally {
    await db.$disconnect();
  }
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Replaces any earlier copy, so seeding twice leaves one copy.
    await client.query(`DELETE FROM sandbox_usage_daily; DELETE FROM sandbox_credit_grants; DELETE FROM sandbox_plan_changes`);
    const usage = await client.query(`
      INSERT INTO sandbox_usage_daily (provider_customer_id, meter_key, day, quantity)
      SELECT c.provider_customer_id, m.key, d.day, d.quantity
        FROM usage_daily d JOIN customers c ON c.id = d.customer_id JOIN meters m ON m.id = d.meter_id
       WHERE c.provider = 'sandbox' AND c.provider_customer_id IS NOT NULL`);
    for (const d of divergences) {
      if (d.sandboxQuantity === null) {
        await client.query(`DELETE FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [d.providerCustomerId, d.meterKey, d.day]);
      } else {
        await client.query(`UPDATE sandbox_usage_daily SET quantity = $4::numeric WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [
          d.providerCustomerId, d.meterKey, d.day, d.sandboxQuantity,
        ]);
      }
    }
    // Active grants with what is left of them (ledger sum); the seed's provider ids are kept.
    const grants = await client.query(`
      WITH remaining AS (
        SELECT g.id, COALESCE(g.provider_grant_id, 'sbx_cg_' || replace(g.id::text, '-', '')) AS sandbox_id,
               c.provider_customer_id, g.currency, g.amount_minor, GREATEST(COALESCE(SUM(l.amount_minor), 0), 0) AS left_minor,
               g.expires_at, g.note, g.created_at
          FROM credit_grants g JOIN customers c ON c.id = g.customer_id
          LEFT JOIN credit_ledger_entries l ON l.grant_id = g.id
         WHERE g.status = 'active' AND c.provider = 'sandbox' AND c.provider_customer_id IS NOT NULL
         GROUP BY g.id, c.provider_customer_id
      ), copied AS (
        INSERT INTO sandbox_credit_grants (id, provider_customer_id, currency, amount_minor, consumed_minor, expires_at, description, metadata, created_at)
        SELECT sandbox_id, provider_customer_id, currency, amount_minor, amount_minor - left_minor, expires_at, note,
               jsonb_build_object('meterdesk_grant_id', id::text), created_at
          FROM remaining
        RETURNING id, metadata ->> 'meterdesk_grant_id' AS grant_id
      )
      UPDATE credit_grants g SET provider_grant_id = copied.id FROM copied
       WHERE g.id = copied.grant_id::uuid RETURNING g.id`);
    const changes = await client.query(`
      INSERT INTO sandbox_plan_changes (id, provider_customer_id, to_plan_version_id, timing, effective_at, status, created_at)
      SELECT 'sbx_pc_' || replace(sc.id::text, '-', ''), c.provider_customer_id, sc.to_plan_version_id, sc.timing::text, sc.effective_at, 'scheduled', sc.created_at
        FROM subscription_changes sc JOIN subscriptions s ON s.id = sc.subscription_id JOIN customers c ON c.id = s.customer_id
       WHERE sc.status = 'scheduled' AND c.provider = 'sandbox' AND c.provider_customer_id IS NOT NULL`);
    await client.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [DIVERGENCE_SETTING, JSON.stringify(divergences), now.toISOString()],
    );
    await client.query("COMMIT");
    return { usageRows: usage.rowCount ?? 0, creditGrants: grants.rowCount ?? 0, planChanges: changes.rowCount ?? 0, divergences };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
