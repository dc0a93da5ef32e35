// Credits against a real PostgreSQL: idempotent issue under concurrency, one decision when
// approvers race, maker-checker enforced by the service and by the database, bad input writes
// nothing, void and expiry as ledger entries.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/test/db";
import { createCustomer, type CreatedCustomer } from "@/prisma/seed/factories";
import { AppError, isAppError } from "@/lib/errors";
import { issueCreditSchema } from "@/lib/actions/credits.schema";
import type { Actor } from "../session";
import { issueCredit, type IssueCreditInput } from "./issue-credit";
import { decideCreditRequest } from "./decide-credit-request";
import { voidCredit } from "./void-credit";
import { expireCredits } from "./expire-credits";
import { actorFor, creditTestDatabase, rowCounts } from "./credits.test-support";

let t: TestDatabase;
let support: Actor, support2: Actor, supportLead: Actor, finance: Actor, finance2: Actor;
let customer: CreatedCustomer;

beforeAll(async () => {
  t = await creditTestDatabase();
  [support, support2, supportLead, finance, finance2] = await Promise.all(["support", "support2", "support_lead", "finance", "finance2"].map((e) => actorFor(t, e)));
  customer = await createCustomer(t.pool, { name: "Acme Corp" });
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

const input = (over: Partial<IssueCreditInput> = {}): IssueCreditInput => ({
  customerId: customer.id, amount: "25.00", currency: "USD", reason: "goodwill", note: "Sorry about the slow reply", requestId: randomUUID(), ...over,
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await t.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) q`, params);
  return Number(rows[0]!.n);
}

async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

describe("issueCredit", () => {
  it("50 concurrent identical submissions make one grant, one ledger entry, one operation", async () => {
    const c = await createCustomer(t.pool);
    const same = input({ customerId: c.id, amount: "42.50" });
    const results = await Promise.all(Array.from({ length: 50 }, () => issueCredit(t.db, support, same)));
    expect(new Set(results.map((r) => r.grantId)).size).toBe(1);
    expect(results.every((r) => r.outcome === "issued" && r.auditId !== null)).toBe(true);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await count("SELECT 1 FROM credit_grants WHERE customer_id = $1", [c.id])).toBe(1);
    expect(await count("SELECT 1 FROM credit_ledger_entries WHERE customer_id = $1", [c.id])).toBe(1);
    expect(await count("SELECT 1 FROM provider_operations WHERE customer_id = $1 AND kind = 'credit.grant'", [c.id])).toBe(1);
    expect(await count("SELECT 1 FROM audit_events WHERE customer_id = $1 AND action = 'credit.issued'", [c.id])).toBe(1);
    const op = await t.pool.query("SELECT idempotency_key, id::text FROM provider_operations WHERE customer_id = $1", [c.id]);
    expect(op.rows[0].idempotency_key).toBe(`credit.grant:${op.rows[0].id}`);
    const balance = await t.pool.query("SELECT sum(amount_minor)::text AS s FROM credit_ledger_entries WHERE customer_id = $1", [c.id]);
    expect(balance.rows[0].s).toBe("4250");
  });

  it("50 concurrent identical submissions above the limit make one pending request and no grant", async () => {
    const c = await createCustomer(t.pool);
    const same = input({ customerId: c.id, amount: "250" });
    const results = await Promise.all(Array.from({ length: 50 }, () => issueCredit(t.db, support, same)));
    expect(results.every((r) => r.outcome === "pending_approval")).toBe(true);
    expect(new Set(results.map((r) => r.creditRequestId)).size).toBe(1);
    expect(await count("SELECT 1 FROM credit_requests WHERE customer_id = $1", [c.id])).toBe(1);
    expect(await count("SELECT 1 FROM credit_grants WHERE customer_id = $1", [c.id])).toBe(0);
  });

  it("refuses a role without credits.issue (product), even called directly, and writes nothing", async () => {
    const product = await actorFor(t, "product");
    const before = await rowCounts(t);
    const refused = await settle(issueCredit(t.db, product, input()));
    expect(!refused.ok && isAppError(refused.error) && refused.error.code).toBe("FORBIDDEN");
    expect(await rowCounts(t)).toEqual(before);
  });

  it("at the limit is granted, one minor unit above waits", async () => {
    expect((await issueCredit(t.db, support, input({ amount: "100.00" }))).outcome).toBe("issued");
    expect((await issueCredit(t.db, support, input({ amount: "100.01" }))).outcome).toBe("pending_approval");
  });

  describe("bad input: field errors, nothing written", () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const cases: Array<[string, Partial<IssueCreditInput>, string]> = [
      ["zero", { amount: "0" }, "amount"],
      ["negative", { amount: "-5" }, "amount"],
      ["exponent", { amount: "1e309" }, "amount"],
      ["NaN", { amount: "NaN" }, "amount"],
      ["three decimals in USD", { amount: "12.345" }, "amount"],
      ["30 digits", { amount: "123456789012345678901234567890" }, "amount"],
      ["above the maximum", { amount: "1000000.01" }, "amount"],
      ["empty", { amount: "" }, "amount"],
      ["expiry in the past", { expiresOn: yesterday }, "expiresOn"],
      ["malformed expiry", { expiresOn: "2027-02-31x" }, "expiresOn"],
      ["100,000-character note", { note: "x".repeat(100_000) }, "note"],
      ["empty note", { note: "   " }, "note"],
      ["101-character ticket", { ticketRef: "T".repeat(101) }, "ticketRef"],
      ["unknown customer", { customerId: randomUUID() }, "customerId"],
      ["malformed customer id", { customerId: "not-a-uuid" }, "customerId"],
      ["a currency the customer is not billed in", { currency: "EUR" }, "currency"],
      ["unsupported currency", { currency: "XYZ" }, "currency"],
    ];
    it.each(cases)("%s", async (_name, over, field) => {
      const before = await rowCounts(t);
      const raw = input(over);
      const parsed = issueCreditSchema.safeParse(raw);
      let fieldErrors: Record<string, string> | undefined;
      if (!parsed.success) {
        fieldErrors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
      } else {
        const r = await settle(issueCredit(t.db, support, parsed.data));
        expect(r.ok).toBe(false);
        const error = (r as { error: unknown }).error;
        expect(isAppError(error) && error.code).toBe("INVALID_INPUT");
        fieldErrors = (error as AppError).fieldErrors;
      }
      expect(Object.keys(fieldErrors ?? {})).toContain(field);
      expect(fieldErrors?.[field]).toMatch(/\w/);
      expect(await rowCounts(t)).toEqual(before);
    });
  });
});

describe("decideCreditRequest", () => {
  it("two approvers racing with 50 different decisions on one request: exactly one stands", async () => {
    const c = await createCustomer(t.pool);
    const req = await issueCredit(t.db, support, input({ customerId: c.id, amount: "500" }));
    expect(req.outcome).toBe("pending_approval");
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => settle(decideCreditRequest(t.db, i % 2 ? finance : finance2, {
      creditRequestId: req.creditRequestId!, decision: i % 3 === 0 ? "reject" : "approve", note: `decision ${i}`, requestId: randomUUID(),
    }))));
    const wins = results.filter((r) => r.ok);
    expect(wins).toHaveLength(1);
    for (const r of results) if (!r.ok) expect(isAppError(r.error) && r.error.code).toBe("CONFLICT");
    const row = (await t.pool.query("SELECT status::text, grant_id::text FROM credit_requests WHERE id = $1", [req.creditRequestId])).rows[0];
    const decision = (wins[0] as { value: { decision: string } }).value.decision;
    expect(row.status).toBe(decision);
    expect(await count("SELECT 1 FROM credit_grants WHERE customer_id = $1", [c.id])).toBe(decision === "approved" ? 1 : 0);
    expect(await count("SELECT 1 FROM audit_events WHERE target_id = $1 AND action LIKE 'credit_request.%ed' AND action <> 'credit_request.created'", [req.creditRequestId])).toBe(1);
  });

  it("approval creates grant + ledger + outbox + audit, issued by the requester and approved by the approver", async () => {
    const c = await createCustomer(t.pool);
    const req = await issueCredit(t.db, support, input({ customerId: c.id, amount: "300" }));
    const res = await decideCreditRequest(t.db, finance, { creditRequestId: req.creditRequestId!, decision: "approve", note: "ok, outage confirmed", requestId: randomUUID() });
    const g = (await t.pool.query("SELECT issued_by_id::text, approved_by_id::text, amount_minor::text FROM credit_grants WHERE id = $1", [res.grantId])).rows[0];
    expect(g).toEqual({ issued_by_id: support.id, approved_by_id: finance.id, amount_minor: "30000" });
    expect(await count("SELECT 1 FROM credit_ledger_entries WHERE grant_id = $1 AND kind = 'grant'", [res.grantId])).toBe(1);
    expect(await count("SELECT 1 FROM provider_operations WHERE subject_id = $1 AND kind = 'credit.grant'", [res.grantId])).toBe(1);
    // Resubmitting the original form now reports the approved outcome, and writes nothing.
    const again = await issueCredit(t.db, support, input({ customerId: c.id, amount: "300", requestId: (await t.db.creditRequest.findUniqueOrThrow({ where: { id: req.creditRequestId! } })).requestId }));
    expect(again).toMatchObject({ outcome: "approved", replayed: true, grantId: res.grantId });
  });

  it("refuses self-approval in the service, and the database refuses it when the service is bypassed", async () => {
    const c = await createCustomer(t.pool);
    const req = await issueCredit(t.db, supportLead, input({ customerId: c.id, amount: "5000" }));
    expect(req.outcome).toBe("pending_approval");
    const before = await rowCounts(t);
    const r = await settle(decideCreditRequest(t.db, supportLead, { creditRequestId: req.creditRequestId!, decision: "approve", note: "mine", requestId: randomUUID() }));
    expect(!r.ok && isAppError(r.error) && r.error.code).toBe("SELF_APPROVAL");
    expect(await rowCounts(t)).toEqual(before);
    await expect(t.pool.query(
      "UPDATE credit_requests SET status = 'approved', decided_by_id = requested_by_id, decided_at = now() WHERE id = $1", [req.creditRequestId],
    )).rejects.toThrow(/credit_requests_not_self_decided/);
    await expect(t.pool.query(
      `INSERT INTO credit_grants (id, customer_id, currency, amount_minor, reason, note, issued_by_id, approved_by_id, request_id)
       VALUES (gen_random_uuid(), $1, 'USD', 100, 'goodwill', 'x', $2, $2, $3)`, [c.id, supportLead.id, randomUUID()],
    )).rejects.toThrow(/credit_grants_not_self_approved/);
    expect((await t.db.creditRequest.findUniqueOrThrow({ where: { id: req.creditRequestId! } })).status).toBe("pending");
  });

  it("refuses a role without credits.approve and an approver above their limit", async () => {
    const c = await createCustomer(t.pool);
    const req = await issueCredit(t.db, support, input({ customerId: c.id, amount: "50000" }));
    const bySupport = await settle(decideCreditRequest(t.db, support2, { creditRequestId: req.creditRequestId!, decision: "approve", note: "nope", requestId: randomUUID() }));
    expect(!bySupport.ok && isAppError(bySupport.error) && bySupport.error.code).toBe("FORBIDDEN");
    const overLimit = await settle(decideCreditRequest(t.db, finance, { creditRequestId: req.creditRequestId!, decision: "approve", note: "too big for me", requestId: randomUUID() }));
    expect(!overLimit.ok && isAppError(overLimit.error) && overLimit.error.code).toBe("LIMIT_EXCEEDED");
    // Rejecting needs no limit.
    expect((await decideCreditRequest(t.db, finance, { creditRequestId: req.creditRequestId!, decision: "reject", note: "ask finance admin", requestId: randomUUID() })).decision).toBe("rejected");
    expect(await count("SELECT 1 FROM credit_grants WHERE customer_id = $1", [c.id])).toBe(0);
  });
});

describe("voidCredit and expireCredits", () => {
  it("voids the remainder with a ledger entry and an operation, once", async () => {
    const c = await createCustomer(t.pool);
    const issued = await issueCredit(t.db, support, input({ customerId: c.id, amount: "60" }));
    const bySupport = await settle(voidCredit(t.db, support, { grantId: issued.grantId!, reason: "support may not void", requestId: randomUUID() }));
    expect(!bySupport.ok && isAppError(bySupport.error) && bySupport.error.code).toBe("FORBIDDEN");
    const requestId = randomUUID();
    const v = await voidCredit(t.db, finance, { grantId: issued.grantId!, reason: "issued to the wrong account", requestId });
    expect(v.voidedMinor).toBe("6000");
    expect((await voidCredit(t.db, finance, { grantId: issued.grantId!, reason: "again", requestId })).replayed).toBe(true);
    const again = await settle(voidCredit(t.db, finance, { grantId: issued.grantId!, reason: "again", requestId: randomUUID() }));
    expect(!again.ok && isAppError(again.error) && again.error.code).toBe("CONFLICT");
    const sum = await t.pool.query("SELECT sum(amount_minor)::text AS s, count(*)::int AS n FROM credit_ledger_entries WHERE grant_id = $1", [issued.grantId]);
    expect(sum.rows[0]).toEqual({ s: "0", n: 2 });
    expect(await count("SELECT 1 FROM provider_operations WHERE subject_id = $1 AND kind = 'credit.void'", [issued.grantId])).toBe(1);
    expect((await t.db.creditGrant.findUniqueOrThrow({ where: { id: issued.grantId! } })).status).toBe("voided");
  });

  it("expires what is left after expires_at, idempotently", async () => {
    const c = await createCustomer(t.pool);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const issued = await issueCredit(t.db, support, input({ customerId: c.id, amount: "10", expiresOn: tomorrow }));
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect((await expireCredits(t.db, new Date())).expired).toBe(0);
    const first = await expireCredits(t.db, later);
    expect(first.expired).toBeGreaterThanOrEqual(1);
    expect((await expireCredits(t.db, later)).expired).toBe(0);
    const rows = (await t.pool.query("SELECT kind::text, amount_minor::text FROM credit_ledger_entries WHERE grant_id = $1 ORDER BY id", [issued.grantId])).rows;
    expect(rows).toEqual([{ kind: "grant", amount_minor: "1000" }, { kind: "expiration", amount_minor: "-1000" }]);
    const v = await settle(voidCredit(t.db, finance, { grantId: issued.grantId!, reason: "too late", requestId: randomUUID() }));
    expect(!v.ok && isAppError(v.error) && v.error.code).toBe("CONFLICT");
  });

  it("the ledger refuses edits", async () => {
    await expect(t.pool.query("UPDATE credit_ledger_entries SET amount_minor = 1 WHERE id = (SELECT min(id) FROM credit_ledger_entries)")).rejects.toThrow(/append-only/);
  });
});

describe("provider sync", () => {
  it("the outbox worker sends the grant with its idempotency key and records the provider's grant id; a failed sync can be retried once", async () => {
    const { runOutboxOnce } = await import("../outbox/worker");
    const { getBillingProvider } = await import("@/lib/providers");
    const { retryCreditSync } = await import("./retry-credit-sync");
    const c = await createCustomer(t.pool);
    const issued = await issueCredit(t.db, support, input({ customerId: c.id, amount: "12.34" }));
    await runOutboxOnce(t.db, getBillingProvider(t.db), { batchSize: 500 });
    const op = (await t.pool.query("SELECT id::text, status::text, provider_reference FROM provider_operations WHERE subject_id = $1", [issued.grantId])).rows[0];
    const grant = await t.db.creditGrant.findUniqueOrThrow({ where: { id: issued.grantId! } });
    expect(op.status).toBe("succeeded");
    expect(op.provider_reference).toMatch(/\w/);
    expect(grant.providerGrantId).toBe(op.provider_reference);
    // A failure (forced here) is retried on the same operation and key.
    await t.pool.query("UPDATE provider_operations SET status = 'failed', last_error = 'boom' WHERE id = $1", [op.id]);
    const r = await retryCreditSync(t.db, finance, op.id);
    expect(r.auditId).toMatch(/^\d+$/);
    expect((await t.pool.query("SELECT status::text FROM provider_operations WHERE id = $1", [op.id])).rows[0].status).toBe("pending");
    const again = await settle(retryCreditSync(t.db, finance, op.id));
    expect(!again.ok && isAppError(again.error) && again.error.code).toBe("CONFLICT");
  });
});
