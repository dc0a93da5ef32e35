import "server-only";
// Re-sync a customer's usage to the billing provider for the days where the provider's copy
// differs from Meterdesk's. Through the outbox ("usage.forward"), in one transaction with the
// audit event; the worker sends it. Days that have raw usage_events are re-sent event by event
// (the provider's idempotency key per event is the event id, so events it has are ignored). Days
// without raw events (loaded as rollups) get one synthetic event per (customer, meter, day)
// carrying the difference, with a deterministic id
//   resync:<platform id>:<meter>:<day>:<Meterdesk's quantity for the day>
// so two re-syncs of the same state send the same key and the provider counts it once; once the
// provider matches, a further re-sync finds nothing to send. Usage can only be added: a day where
// the provider has MORE than Meterdesk is reported, not sent (it needs a correction at the provider).
import { BillingDecimal } from "@/lib/billing";
import { AppError } from "@/lib/errors";
import { getBillingProvider } from "@/lib/providers";
import type { BillingProvider } from "@/lib/providers/types";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { enqueueOperation } from "../outbox/enqueue";
import { customerDiscrepancies, parseReconRange, type DayDiff } from "../queries/reconciliation";
import type { Actor } from "../session";
import { assertCan } from "@/lib/auth/permissions";

export type ResyncInput = { customerId: string; from: string; to: string; requestId: string };
export type ResyncResult = {
  outcome: "queued" | "nothing_to_send" | "replayed";
  customerId: string;
  subjectId: string;
  operations: number;
  resentEvents: number;
  synthetic: Array<{ meterKey: string; day: string; quantity: string }>;
  notResendable: DayDiff[];
  auditId: string | null;
};

const CHUNK = 500;
const trim = (q: string) => new BillingDecimal(q).toFixed();

export async function resyncUsage(db: Db, actor: Actor, input: ResyncInput, opts: { provider?: BillingProvider; now?: Date } = {}): Promise<ResyncResult> {
  assertCan(actor, "reconciliation.resync");
  const subjectId = `resync:${input.requestId}`;
  const earlier = await db.providerOperation.count({ where: { subjectId } });
  if (earlier > 0) {
    const audit = await db.auditEvent.findFirst({ where: { action: "usage.resync_requested", requestId: input.requestId }, select: { id: true } });
    return { outcome: "replayed", customerId: input.customerId, subjectId, operations: earlier, resentEvents: 0, synthetic: [], notResendable: [], auditId: audit?.id.toString() ?? null };
  }
  const { range, error } = parseReconRange({ from: input.from, to: input.to }, opts.now ?? new Date());
  if (error) throw new AppError("INVALID_INPUT", error.message, error.fieldErrors);
  const provider = opts.provider ?? getBillingProvider(db);
  const recon = await customerDiscrepancies(db, provider, input.customerId, range);
  if (!recon.customer) throw new AppError("NOT_FOUND", `This customer does not exist or is not billed by the ${provider.kind} provider.`);
  const customer = recon.customer;
  const days = recon.discrepancies.flatMap((g) => g.days);

  // Raw events on the differing days, per (meter, day).
  const raw = days.length === 0 ? [] : await db.$queryRaw<Array<{ id: bigint; meter_key: string; day: string }>>`
    SELECT e.id, m.key AS meter_key, to_char((e.occurred_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day
      FROM usage_events e JOIN meters m ON m.id = e.meter_id
     WHERE e.customer_id = ${input.customerId}::uuid AND e.occurred_at >= ${range.start} AND e.occurred_at < ${range.end}
       AND (m.key || '|' || to_char((e.occurred_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD')) = ANY(${days.map((x) => `${x.meterKey}|${x.day}`)}::text[])
     ORDER BY e.id`;
  const withRaw = new Set(raw.map((r) => `${r.meter_key}|${r.day}`));
  const eventIds = raw.map((r) => r.id.toString());
  const synthetic: Array<{ idempotencyKey: string; meterKey: string; timestamp: string; quantity: string }> = [];
  const notResendable: DayDiff[] = [];
  for (const x of days) {
    if (withRaw.has(`${x.meterKey}|${x.day}`)) continue;
    if (new BillingDecimal(x.difference).lte(0)) {
      notResendable.push(x);
      continue;
    }
    synthetic.push({
      idempotencyKey: `resync:${customer.platformId}:${x.meterKey}:${x.day}:${trim(x.platform)}`,
      meterKey: x.meterKey,
      timestamp: `${x.day}T12:00:00.000Z`,
      quantity: trim(x.difference),
    });
  }
  const summary = { synthetic: synthetic.map((s) => ({ meterKey: s.meterKey, day: s.timestamp.slice(0, 10), quantity: s.quantity })), notResendable };
  if (eventIds.length === 0 && synthetic.length === 0) {
    return { outcome: "nothing_to_send", customerId: customer.id, subjectId, operations: 0, resentEvents: 0, ...summary, auditId: null };
  }

  const [row] = await db.$queryRaw<Array<{ provider: "sandbox" | "orb" | "metronome" | "stripe" }>>`SELECT provider::text AS provider FROM customers WHERE id = ${customer.id}::uuid`;
  return db.$transaction(async (tx) => {
    let n = 0;
    for (let i = 0; i < Math.max(eventIds.length, synthetic.length); i += CHUNK) {
      await enqueueOperation(tx, {
        kind: "usage.forward",
        provider: row!.provider,
        customerId: customer.id,
        subjectId,
        idempotencyKey: `usage.resync:${input.requestId}:${n}`,
        payload: { eventIds: eventIds.slice(i, i + CHUNK), synthetic: synthetic.slice(i, i + CHUNK) },
      });
      n += 1;
    }
    const audit = await recordAudit(tx, actor, {
      action: "usage.resync_requested",
      targetType: "customer",
      targetId: customer.id,
      customerId: customer.id,
      after: {
        range: { from: range.from, to: range.to },
        provider: provider.kind,
        resentEvents: eventIds.length,
        synthetic: summary.synthetic,
        notResendable: notResendable.map((x) => ({ meterKey: x.meterKey, day: x.day, difference: x.difference })),
        impact: recon.discrepancies.map((g) => ({ meterKey: g.meterKey, difference: g.difference, impactMinor: g.impactMinor, currency: g.currency })),
      },
      reason: "Provider usage differed from Meterdesk's; re-sending the affected days.",
      requestId: input.requestId,
    });
    return { outcome: "queued" as const, customerId: customer.id, subjectId, operations: n, resentEvents: eventIds.length, ...summary, auditId: audit.id.toString() };
  });
}
