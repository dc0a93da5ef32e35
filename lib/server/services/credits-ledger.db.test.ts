// Property: across random sequences of issue / void / expire on one customer, the balance is the
// sum of the ledger, equals what the model says, and no grant's remainder is ever negative.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestDatabase } from "@/test/db";
import { createCustomer } from "@/prisma/seed/factories";
import type { Actor } from "../session";
import { issueCredit } from "./issue-credit";
import { voidCredit } from "./void-credit";
import { expireCredits } from "./expire-credits";
import { actorFor, creditTestDatabase } from "./credits.test-support";

let t: TestDatabase;
let finance: Actor;

beforeAll(async () => {
  t = await creditTestDatabase();
  finance = await actorFor(t, "finance");
}, 180_000);
afterAll(async () => {
  await t?.drop();
});

const DAY = 86_400_000;
type Step =
  | { op: "issue"; cents: number; expiresInDays: number | null }
  | { op: "void"; pick: number }
  | { op: "expire"; afterDays: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant("issue" as const), cents: fc.integer({ min: 1, max: 500_000 }), expiresInDays: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }) }),
  fc.record({ op: fc.constant("void" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("expire" as const), afterDays: fc.integer({ min: 0, max: 6 }) }),
);

it("balance = sum of the ledger = the model, and never negative per grant", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
      const c = await createCustomer(t.pool);
      const model = new Map<string, { left: bigint; expiresAt: number | null; open: boolean }>();
      for (const s of steps) {
        if (s.op === "issue") {
          const amount = `${Math.floor(s.cents / 100)}.${String(s.cents % 100).padStart(2, "0")}`;
          const expiresOn = s.expiresInDays === null ? null : new Date(Date.now() + s.expiresInDays * DAY).toISOString().slice(0, 10);
          const r = await issueCredit(t.db, finance, { customerId: c.id, amount, currency: "USD", reason: "goodwill", note: "property", expiresOn, requestId: randomUUID() });
          model.set(r.grantId!, { left: BigInt(s.cents), expiresAt: expiresOn ? Date.parse(`${expiresOn}T00:00:00Z`) + DAY : null, open: true });
        } else if (s.op === "void") {
          const open = [...model].filter(([, g]) => g.open);
          if (open.length === 0) continue;
          const [id, g] = open[s.pick % open.length]!;
          await voidCredit(t.db, finance, { grantId: id, reason: "property void", requestId: randomUUID() });
          g.left = 0n;
          g.open = false;
        } else {
          const at = Date.now() + s.afterDays * DAY;
          await expireCredits(t.db, new Date(at));
          for (const g of model.values()) if (g.open && g.expiresAt !== null && g.expiresAt <= at) { g.left = 0n; g.open = false; }
        }
      }
      const perGrant = (await t.pool.query<{ grant_id: string; s: string; kinds: string[] }>(
        "SELECT grant_id::text, sum(amount_minor)::text AS s, array_agg(kind::text ORDER BY id) AS kinds FROM credit_ledger_entries WHERE customer_id = $1 GROUP BY grant_id", [c.id],
      )).rows;
      const balance = (await t.pool.query<{ s: string | null }>("SELECT sum(amount_minor)::text AS s FROM credit_ledger_entries WHERE customer_id = $1", [c.id])).rows[0]!.s ?? "0";
      for (const row of perGrant) {
        expect(BigInt(row.s) >= 0n).toBe(true);
        expect(BigInt(row.s)).toBe(model.get(row.grant_id)!.left);
        expect(row.kinds[0]).toBe("grant");
      }
      expect(perGrant.length).toBe(model.size);
      const modelTotal = [...model.values()].reduce((sum, g) => sum + g.left, 0n);
      expect(BigInt(balance)).toBe(modelTotal);
      expect(BigInt(balance)).toBe(perGrant.reduce((sum, r) => sum + BigInt(r.s), 0n));
    }),
    { numRuns: 15 },
  );
}, 180_000);
