// Past invoices and the credit ledger, simulated per customer in time order:
// grants, voids and expirations change what is left; each completed period is priced
// by lib/billing (through pricing-bridge) with the credits usable at its end.
//
// Rule: an invoice period [start, end) covers the daily rollups whose UTC date's midnight
// lies in [start, end). Anchors are UTC midnights, so a period is whole UTC days.
// Invoices exist for every completed period (end <= now) that ends after the first seeded day.
import type { BulkLoader } from "./bulk";
import type { SeedGrant, SeedRequest } from "./credits";
import type { CustomerProfile } from "./customers";
import { periodStart, priceInvoice, type SeedSegment } from "./pricing-bridge";
import { createRng } from "./prng";
import { sumUsage, type CustomerUsage, type UsageContext } from "./usage";

export type AuditRow = {
  at: Date; actorId: string | null; actorEmail: string; actorRole: string | null; action: string;
  targetType: string; targetId: string; customerId: string; after: unknown; reason: string | null;
};

type Ev = { t: number; order: number; run: () => Promise<void> };

export async function simulateBilling(
  bulk: BulkLoader, p: CustomerProfile, usage: CustomerUsage, ctx: UsageContext, rangeStart: number,
  grants: SeedGrant[], requests: SeedRequest[], counter: { invoices: number }, audit: AuditRow[],
): Promise<void> {
  const rng = createRng(ctx.seed, "invoices", p.index);
  const nowMs = ctx.now.getTime();
  const iso = (d: Date | number | null) => (d === null ? null : new Date(d).toISOString());
  const remaining = new Map(grants.map((g) => [g.id, 0]));
  const live = new Set<string>();
  const ended = new Map<string, "voided" | "expired">();
  const events: Ev[] = [];
  const ledger = (g: SeedGrant, kind: string, amount: number, t: number, invoiceId: string | null, note: string | null, actorId: string | null) =>
    bulk.add("credit_ledger_entries", [p.id, g.id, kind, p.currency, String(amount), invoiceId, note, actorId, iso(t)]);

  for (const g of grants) {
    events.push({ t: g.createdAt.getTime(), order: 0, run: async () => {
      remaining.set(g.id, g.amountMinor);
      live.add(g.id);
      await ledger(g, "grant", g.amountMinor, g.createdAt.getTime(), null, g.note, g.issuedBy.id);
    } });
    if (g.voidAt) events.push({ t: g.voidAt.getTime(), order: 1, run: async () => {
      const left = remaining.get(g.id)!;
      live.delete(g.id);
      ended.set(g.id, "voided");
      if (left > 0) await ledger(g, "void", -left, g.voidAt!.getTime(), null, "Voided: issued to the wrong account", g.voidBy!.id);
      remaining.set(g.id, 0);
      audit.push({ at: g.voidAt!, actorId: g.voidBy!.id, actorEmail: g.voidBy!.email, actorRole: g.voidBy!.role, action: "credit.voided", targetType: "credit_grant", targetId: g.id, customerId: p.id, after: { voidedMinor: String(left), currency: p.currency }, reason: "Issued to the wrong account" });
    } });
    if (g.expiresAt && g.expiresAt.getTime() <= nowMs) events.push({ t: g.expiresAt.getTime(), order: 1, run: async () => {
      if (!live.has(g.id)) return;
      const left = remaining.get(g.id)!;
      live.delete(g.id);
      if (left > 0) {
        ended.set(g.id, "expired");
        await ledger(g, "expiration", -left, g.expiresAt!.getTime(), null, "Expired unused", null);
      }
      remaining.set(g.id, 0);
    } });
  }

  // Completed monthly periods that end inside the seeded range. The first one may begin before the
  // range; its usage then covers only the seeded days (rollups before the range do not exist).
  const periods: { start: Date; end: Date }[] = [];
  for (let k = 0; ; k++) {
    const start = periodStart(p.anchor, k);
    const end = periodStart(p.anchor, k + 1);
    if (end.getTime() > nowMs) break;
    if (end.getTime() > rangeStart) periods.push({ start, end });
  }
  periods.forEach((period, i) => {
    events.push({ t: period.end.getTime(), order: 2, run: async () => {
      const segments: SeedSegment[] = [];
      for (const ph of p.phases) {
        const from = Math.max(ph.start.getTime(), period.start.getTime());
        const to = Math.min(ph.end?.getTime() ?? Infinity, period.end.getTime());
        if (to > from) segments.push({ version: ph.version, from: new Date(from), to: new Date(to), usageByMeter: sumUsage(usage, ctx, from, to) });
      }
      const usable = grants.filter((g) => live.has(g.id)).map((g) => ({
        id: g.id, remainingMinor: BigInt(remaining.get(g.id)!), currency: p.currency, expiresAt: g.expiresAt, createdAt: g.createdAt,
      }));
      const inv = priceInvoice({ currency: p.currency, period, segments, credits: usable, at: period.end });
      const id = rng.uuid();
      const issuedAt = period.end;
      const latest = i === periods.length - 1;
      const paid = !latest || inv.totalMinor === BigInt(0);
      const paidAt = paid ? Math.min(nowMs - 3_600_000, issuedAt.getTime() + rng.int(1, 7 * 24) * 3_600_000) : null;
      const number = `INV-${issuedAt.getUTCFullYear()}-${String(++counter.invoices).padStart(6, "0")}`;
      await bulk.add("invoices", [
        id, p.id, number, iso(period.start), iso(period.end), p.currency, inv.subtotalMinor.toString(), inv.creditsAppliedMinor.toString(),
        inv.totalMinor.toString(), paid ? "paid" : "issued", iso(issuedAt), iso(paidAt), `sbx_in_${rng.base36(12)}`, iso(issuedAt),
      ]);
      let pos = 0;
      for (const l of inv.lines) {
        if (l.kind === "usage" && l.amountMinor === BigInt(0) && !(Number(l.quantity ?? "0") > 0)) continue;
        // A unit price only where one rate applies to every billable unit (per-unit prices).
        const priced = (l.breakdown ?? []).filter((b) => b.unitPrice !== "0");
        const unitPrice = priced.length === 1 && priced[0]!.label === "Per unit" ? priced[0]!.unitPrice : null;
        const detail = l.breakdown || l.grantId || l.planId ? JSON.stringify({ planId: l.planId, grantId: l.grantId, breakdown: l.breakdown }) : null;
        await bulk.add("invoice_lines", [rng.uuid(), id, ++pos, l.kind, l.description, l.meterKey ?? null, l.quantity ?? null, unitPrice, l.amountMinor.toString(), detail]);
      }
      for (const a of inv.creditApplications) {
        const g = grants.find((x) => x.id === a.grantId)!;
        remaining.set(g.id, Number(a.remainingAfterMinor));
        await ledger(g, "consumption", -Number(a.appliedMinor), issuedAt.getTime(), id, `Applied to ${number}`, null);
      }
    } });
  });

  events.sort((a, b) => a.t - b.t || a.order - b.order);
  for (const e of events) await e.run();

  for (const g of grants) {
    const left = remaining.get(g.id)!;
    const status = ended.get(g.id) ?? (left === 0 ? "exhausted" : "active");
    await bulk.add("credit_grants", [
      g.id, p.id, p.currency, String(g.amountMinor), g.reason, g.note, g.ticketRef, iso(g.expiresAt), status,
      g.issuedBy.id, g.approvedBy?.id ?? null, g.requestId, g.providerGrantId, iso(g.createdAt),
    ]);
    if (!g.approvedBy) audit.push({ at: g.createdAt, actorId: g.issuedBy.id, actorEmail: g.issuedBy.email, actorRole: g.issuedBy.role, action: "credit.granted", targetType: "credit_grant", targetId: g.id, customerId: p.id, after: { amountMinor: String(g.amountMinor), currency: p.currency, reason: g.reason }, reason: g.note });
  }
  for (const r of requests) {
    await bulk.add("credit_requests", [
      r.id, p.id, p.currency, String(r.amountMinor), r.reason, r.note, r.ticketRef, null, r.status, r.requestedBy.id,
      r.decidedBy?.id ?? null, iso(r.decidedAt), r.decisionNote, r.requestId, r.grantId, iso(r.createdAt),
    ]);
    audit.push({ at: r.createdAt, actorId: r.requestedBy.id, actorEmail: r.requestedBy.email, actorRole: r.requestedBy.role, action: "credit_request.created", targetType: "credit_request", targetId: r.id, customerId: p.id, after: { amountMinor: String(r.amountMinor), currency: p.currency, reason: r.reason }, reason: r.note });
    if (r.decidedBy) audit.push({ at: r.decidedAt!, actorId: r.decidedBy.id, actorEmail: r.decidedBy.email, actorRole: r.decidedBy.role, action: `credit_request.${r.status}`, targetType: "credit_request", targetId: r.id, customerId: p.id, after: { status: r.status, grantId: r.grantId }, reason: r.decisionNote });
  }
}
