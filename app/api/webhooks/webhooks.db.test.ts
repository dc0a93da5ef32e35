// The three webhook routes, called directly with a Request, against a private database:
// valid → invoice status moved + one webhook_events row + one audit event by "provider:<name>";
// bad signature and stale timestamp → 400 and nothing written; a replay → 200, no second effect;
// no secret configured → 503.
import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { signMetronomeWebhook } from "@/lib/providers/metronome/webhook";
import { signOrbWebhook } from "@/lib/providers/orb/webhook";
import { createTestDatabase, type TestDatabase } from "@/test/db";

const holder = vi.hoisted(() => ({ db: null as unknown }));
vi.mock("@/lib/server/db", () => ({
  get db() {
    return holder.db;
  },
}));

const { POST: orbPOST } = await import("./orb/route");
const { POST: metronomePOST } = await import("./metronome/route");
const { POST: stripePOST } = await import("./stripe/route");

const SECRET = "whsec_test_secret_for_webhooks";
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  holder.db = t.db;
  process.env.ORB_WEBHOOK_SECRET = SECRET;
  process.env.METRONOME_WEBHOOK_SECRET = SECRET;
  process.env.STRIPE_WEBHOOK_SECRET = SECRET;
});
afterAll(async () => {
  await t?.drop();
});

async function seedInvoice(provider: string): Promise<{ customerId: string; providerInvoiceId: string; providerCustomerId: string }> {
  const providerCustomerId = `cus_${randomUUID().slice(0, 8)}`;
  const providerInvoiceId = `in_${randomUUID().slice(0, 8)}`;
  const { rows } = await t.pool.query<{ id: string }>(
    `INSERT INTO customers (id, platform_id, name, email, region, provider, provider_customer_id, currency)
     VALUES (gen_random_uuid(), $1, 'Webhook Test Co', 'billing@webhook-test.example', 'eu-west', $2, $3, 'USD') RETURNING id::text`,
    [`acct_${randomUUID().slice(0, 8)}`, provider, providerCustomerId],
  );
  await t.pool.query(
    `INSERT INTO invoices (id, customer_id, number, period_start, period_end, currency, subtotal_minor, total_minor, status, provider_invoice_id)
     VALUES (gen_random_uuid(), $1, $2, '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 'USD', 12000, 12000, 'draft', $3)`,
    [rows[0]!.id, `INV-${randomUUID().slice(0, 8)}`, providerInvoiceId],
  );
  return { customerId: rows[0]!.id, providerInvoiceId, providerCustomerId };
}

async function counts() {
  const { rows } = await t.pool.query<{ events: string; audits: string }>(
    `SELECT (SELECT count(*) FROM webhook_events) AS events, (SELECT count(*) FROM audit_events WHERE actor_email LIKE 'provider:%') AS audits`,
  );
  return { events: Number(rows[0]!.events), audits: Number(rows[0]!.audits) };
}

const invoiceStatus = async (providerInvoiceId: string) =>
  (await t.pool.query<{ status: string }>(`SELECT status::text FROM invoices WHERE provider_invoice_id = $1`, [providerInvoiceId])).rows[0]!.status;

type Case = {
  name: "orb" | "metronome" | "stripe";
  post: (req: Request) => Promise<Response>;
  envVar: string;
  /** A signed delivery of an "invoice issued" event; `at` is the signing instant. */
  deliver: (ids: { eventId: string; providerInvoiceId: string; providerCustomerId: string }, opts?: { at?: Date; secret?: string; tamper?: boolean }) => Request;
};

const url = (p: string) => `http://localhost/api/webhooks/${p}`;
const orbTimestamp = (d: Date) => d.toISOString().replace("Z", "").replace(/\.\d+$/, ".000000");

const cases: Case[] = [
  {
    name: "orb",
    post: orbPOST,
    envVar: "ORB_WEBHOOK_SECRET",
    deliver(ids, opts = {}) {
      const body = JSON.stringify({ id: ids.eventId, type: "invoice.issued", created_at: new Date().toISOString(), properties: {}, invoice: { id: ids.providerInvoiceId, customer: { id: ids.providerCustomerId } } });
      const ts = orbTimestamp(opts.at ?? new Date());
      const signature = signOrbWebhook(body, ts, opts.secret ?? SECRET);
      return new Request(url("orb"), { method: "POST", body: opts.tamper ? body.replace("invoice.issued", "invoice.issuee") : body, headers: { "content-type": "application/json", "x-orb-timestamp": ts, "x-orb-signature": signature } });
    },
  },
  {
    name: "metronome",
    post: metronomePOST,
    envVar: "METRONOME_WEBHOOK_SECRET",
    deliver(ids, opts = {}) {
      const body = JSON.stringify({ id: ids.eventId, type: "invoice.finalized", timestamp: new Date().toISOString(), properties: { invoice_id: ids.providerInvoiceId, customer_id: ids.providerCustomerId } });
      const date = (opts.at ?? new Date()).toUTCString();
      const signature = signMetronomeWebhook(body, date, opts.secret ?? SECRET);
      return new Request(url("metronome"), { method: "POST", body: opts.tamper ? `${body} ` : body, headers: { "content-type": "application/json", "x-metronome-date": date, "metronome-webhook-signature": signature } });
    },
  },
  {
    name: "stripe",
    post: stripePOST,
    envVar: "STRIPE_WEBHOOK_SECRET",
    deliver(ids, opts = {}) {
      const at = opts.at ?? new Date();
      const body = JSON.stringify({
        id: ids.eventId, object: "event", type: "invoice.finalized", created: Math.floor(at.getTime() / 1000), api_version: "2026-10-28.endive", livemode: false,
        data: { object: { id: ids.providerInvoiceId, object: "invoice", customer: ids.providerCustomerId } },
      });
      const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: opts.secret ?? SECRET, timestamp: Math.floor(at.getTime() / 1000) });
      return new Request(url("stripe"), { method: "POST", body: opts.tamper ? body.replace("finalized", "finalised") : body, headers: { "content-type": "application/json", "stripe-signature": header } });
    },
  },
];

for (const c of cases) {
  describe(`POST /api/webhooks/${c.name}`, () => {
    beforeEach(() => {
      process.env[c.envVar] = SECRET;
    });

    it("applies a valid delivery once: invoice issued, one event row, one audit event by the provider; a replay changes nothing", async () => {
      const seeded = await seedInvoice(c.name);
      const before = await counts();
      const ids = { eventId: `evt_${randomUUID()}`, ...seeded };
      const res = await c.post(c.deliver(ids));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { duplicate: boolean; auditId: string };
      expect(body.duplicate).toBe(false);
      expect(await invoiceStatus(seeded.providerInvoiceId)).toBe("issued");
      expect(await counts()).toEqual({ events: before.events + 1, audits: before.audits + 1 });
      const { rows } = await t.pool.query<{ actor_email: string; customer_id: string; action: string; after: { status: string } }>(
        `SELECT actor_email, customer_id::text, action, after FROM audit_events WHERE id = $1`, [body.auditId],
      );
      expect(rows[0]).toMatchObject({ actor_email: `provider:${c.name}`, customer_id: seeded.customerId, after: { status: "issued" } });

      // A redelivery (same event id, freshly signed) is acknowledged and ignored.
      await t.pool.query(`UPDATE invoices SET status = 'draft' WHERE provider_invoice_id = $1`, [seeded.providerInvoiceId]);
      const replay = await c.post(c.deliver(ids));
      expect(replay.status).toBe(200);
      expect(((await replay.json()) as { duplicate: boolean }).duplicate).toBe(true);
      expect(await invoiceStatus(seeded.providerInvoiceId)).toBe("draft");
      expect(await counts()).toEqual({ events: before.events + 1, audits: before.audits + 1 });
    });

    it("refuses a bad signature (wrong secret or altered body) and writes nothing", async () => {
      const seeded = await seedInvoice(c.name);
      const before = await counts();
      for (const opts of [{ secret: "not-the-secret" }, { tamper: true }]) {
        const res = await c.post(c.deliver({ eventId: `evt_${randomUUID()}`, ...seeded }, opts));
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe("bad_signature");
      }
      expect(await counts()).toEqual(before);
      expect(await invoiceStatus(seeded.providerInvoiceId)).toBe("draft");
    });

    it("refuses a stale timestamp (> 5 minutes) even when correctly signed, and writes nothing", async () => {
      const seeded = await seedInvoice(c.name);
      const before = await counts();
      const res = await c.post(c.deliver({ eventId: `evt_${randomUUID()}`, ...seeded }, { at: new Date(Date.now() - 6 * 60_000) }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe("stale_timestamp");
      expect(await counts()).toEqual(before);
    });

    it("answers 503 when no secret is configured", async () => {
      delete process.env[c.envVar];
      const seeded = await seedInvoice(c.name);
      const before = await counts();
      const res = await c.post(c.deliver({ eventId: `evt_${randomUUID()}`, ...seeded }));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe("webhook not configured");
      expect(await counts()).toEqual(before);
    });
  });
}
