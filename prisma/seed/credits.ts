// Credit grants and credit requests for one customer (generation only; the ledger is
// written by the billing simulation in invoices.ts, which knows what each grant paid for).
import { DAY, type CustomerProfile } from "./customers";
import { createRng, type Rng } from "./prng";
import { ROLE_LIMITS, type Role, type Staff } from "./reference";

export type Reason = "outage" | "goodwill" | "billing_error" | "promotion" | "migration";
export type SeedGrant = {
  id: string; amountMinor: number; reason: Reason; note: string; ticketRef: string | null;
  createdAt: Date; expiresAt: Date | null; voidAt: Date | null; voidBy: Staff | null;
  issuedBy: Staff; approvedBy: Staff | null; requestId: string; providerGrantId: string;
};
export type SeedRequest = {
  id: string; amountMinor: number; reason: Reason; note: string; ticketRef: string | null;
  status: "pending" | "approved" | "rejected"; requestedBy: Staff; decidedBy: Staff | null; decidedAt: Date | null;
  decisionNote: string | null; requestId: string; grantId: string | null; createdAt: Date;
};

const NOTES: Record<Reason, string[]> = {
  outage: ["Compensation for the {region} outage", "Degraded builds during the {region} incident", "Bandwidth errors during the {region} network incident"],
  goodwill: ["Goodwill: long-standing customer, first overage", "Goodwill after a slow support response", "Goodwill for a misconfigured autoscaling spike"],
  billing_error: ["Double-counted build minutes corrected", "Seat count billed twice in one period", "Wrong plan price applied after migration"],
  promotion: ["Startup programme credit", "Conference promotion credit", "Referral programme credit"],
  migration: ["Migration assistance from a self-hosted setup", "Credit for moving workloads to {region}", "Legacy plan migration credit"],
};

const note = (rng: Rng, reason: Reason, region: string) => rng.pick(NOTES[reason]).replace("{region}", region);
const limitMinor = (role: Role) => (ROLE_LIMITS[role] === null ? Infinity : ROLE_LIMITS[role]! * 100);

export function generateCredits(
  seed: number, p: CustomerProfile, staff: Staff[], now: Date, rangeStart: number, counter: { grants: number; requests: number },
): { grants: SeedGrant[]; requests: SeedRequest[] } {
  const rng = createRng(seed, "credits", p.index);
  const nowMs = now.getTime();
  const by = (...emails: string[]) => staff.filter((s) => emails.includes(s.email.split("@")[0]!));
  const issuers = by("support", "support2", "support_lead", "finance", "finance2", "finance_admin");
  const deciders = by("finance", "finance2", "finance_admin", "admin");
  const voiders = by("support_lead", "finance", "finance_admin");
  const from = Math.max(rangeStart, p.anchor.getTime() + DAY);
  const grants: SeedGrant[] = [];
  const requests: SeedRequest[] = [];
  if (from >= nowMs - 2 * 3_600_000) return { grants, requests };
  const when = (a: number, b: number) => new Date(Math.floor((a + rng.next() * (b - a)) / 1000) * 1000);
  const reasonOf = () => rng.weighted<Reason>({ outage: 30, goodwill: 30, billing_error: 20, promotion: 12, migration: 8 });
  const bigCustomer = ["business", "enterprise"].includes(p.phases[p.phases.length - 1]!.version.planKey);

  const newGrant = (issuedBy: Staff, amountMinor: number, createdAt: Date, approvedBy: Staff | null, reason: Reason, text: string, ticketRef: string | null): SeedGrant => {
    const expires = reason === "promotion" || rng.chance(0.3);
    const voided = !approvedBy && rng.chance(0.05);
    const voidAt = voided ? new Date(createdAt.getTime() + rng.int(1, 10) * DAY) : null;
    return {
      id: rng.uuid(), amountMinor, reason, note: text, ticketRef, createdAt,
      expiresAt: expires ? new Date(createdAt.getTime() + rng.pick([30, 60, 90, 180]) * DAY) : null,
      voidAt: voidAt && voidAt.getTime() < nowMs ? voidAt : null, voidBy: voided ? rng.pick(voiders) : null,
      issuedBy, approvedBy, requestId: `seed-grant-${++counter.grants}`, providerGrantId: `sbx_cg_${rng.base36(12)}`,
    };
  };

  if (rng.chance(0.1)) {
    for (let n = rng.int(1, 3); n > 0; n--) {
      const issuer = rng.pick(issuers);
      const major = Math.round(rng.logNormal(Math.log(bigCustomer ? 400 : 60), 0.9));
      const amount = Math.max(500, Math.min(limitMinor(issuer.role), major * 100));
      const reason = reasonOf();
      const ticket = issuer.role.startsWith("support") ? `SUP-${rng.int(10000, 99999)}` : null;
      grants.push(newGrant(issuer, amount, when(from, nowMs - 3_600_000), null, reason, note(rng, reason, p.region), ticket));
    }
  }

  // Maker-checker requests: a few forced on the first customers so every demo has some.
  const kind = p.index < 3 ? "pending" : p.index < 5 ? "approved" : p.index === 5 ? "rejected"
    : rng.chance(0.004) ? "pending" : rng.chance(0.005) ? "approved" : rng.chance(0.003) ? "rejected" : null;
  if (kind) {
    const requester = rng.pick(by("support", "support2", "support_lead"));
    const limit = limitMinor(requester.role) / 100;
    const amount = rng.int(Math.round(limit * 1.2), limit * 5) * 100;
    const reason = reasonOf();
    const createdAt = kind === "pending" ? when(Math.max(from, nowMs - 5 * DAY), nowMs - 3_600_000) : when(from, nowMs - 2 * DAY);
    const decidedBy = kind === "pending" ? null : rng.pick(deciders);
    const decidedAt = decidedBy ? new Date(createdAt.getTime() + rng.int(1, 30) * 3_600_000) : null;
    const text = note(rng, reason, p.region);
    const ticket = `SUP-${rng.int(10000, 99999)}`;
    const grant = kind === "approved" ? newGrant(requester, amount, decidedAt!, decidedBy, reason, text, ticket) : null;
    if (grant) grants.push(grant);
    requests.push({
      id: rng.uuid(), amountMinor: amount, reason, note: text, ticketRef: ticket, status: kind, requestedBy: requester,
      decidedBy, decidedAt, requestId: `seed-request-${++counter.requests}`, grantId: grant?.id ?? null, createdAt,
      decisionNote: kind === "approved" ? "Checked usage and the incident report; approved." : kind === "rejected" ? "Not covered by the incident window; offer a smaller goodwill credit." : null,
    });
  }
  grants.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  return { grants, requests };
}
