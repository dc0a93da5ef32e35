// Shared set-up for the credit database tests: a private database with the demo reference data
// (staff, catalog, limits, settings) and helpers to count what was written.
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import type { Actor } from "../session";
import type { Role } from "@/lib/auth/permissions";

export async function creditTestDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 3, days: 3 });
  return t;
}

export async function actorFor(t: TestDatabase, local: string): Promise<Actor> {
  const s = await t.db.staffUser.findUniqueOrThrow({ where: { email: `${local}@demo.meterdesk.test` } });
  return { id: s.id, email: s.email, name: s.name, role: s.role as Role };
}

export const CREDIT_TABLES = ["credit_grants", "credit_ledger_entries", "credit_requests", "provider_operations", "audit_events"] as const;

export async function rowCounts(t: TestDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of CREDIT_TABLES) {
    const { rows } = await t.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
    out[table] = Number(rows[0]!.n);
  }
  return out;
}
