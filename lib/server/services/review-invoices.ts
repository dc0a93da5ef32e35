// Finance review of upcoming invoices: mark a selection reviewed, or hold one with a note.
// The review is of the customer's latest preview snapshot (its period); each change is audited
// in the same transaction. The permission is checked here as well as by the action client, so
// no other caller can skip it.
import "server-only";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";

export type ReviewResult = { status: "reviewed" | "held"; customerIds: string[]; auditIds: string[]; periodStarts: string[] };

type Target = { customer_id: string; name: string; period_start: Date; total_minor: bigint; currency: string; flags: string[]; status: string | null; note: string | null };

async function currentTargets(db: Pick<Db, "$queryRaw">, customerIds: string[]): Promise<Target[]> {
  return db.$queryRaw<Target[]>`
    SELECT DISTINCT ON (s.customer_id) s.customer_id::text AS customer_id, c.name, s.period_start, s.total_minor, s.currency, s.flags,
           r.status::text AS status, r.note
      FROM invoice_preview_snapshots s
      JOIN customers c ON c.id = s.customer_id
      LEFT JOIN invoice_reviews r ON r.customer_id = s.customer_id AND r.period_start = s.period_start
     WHERE s.customer_id = ANY(${customerIds}::uuid[])
     ORDER BY s.customer_id, s.period_start DESC`;
}

async function setReview(db: Db, actor: Actor, customerIds: string[], status: "reviewed" | "held", note: string | null): Promise<ReviewResult> {
  assertCan(actor, "invoices.review");
  const unique = [...new Set(customerIds)];
  const now = new Date();
  return db.$transaction(async (tx) => {
    const targets = await currentTargets(tx, unique);
    if (targets.length !== unique.length) throw new AppError("NOT_FOUND", "Some of the selected invoices have no preview yet; recompute previews and try again.");
    const auditIds: string[] = [];
    for (const t of targets) {
      await tx.invoiceReview.upsert({
        where: { customerId_periodStart: { customerId: t.customer_id, periodStart: t.period_start } },
        create: { customerId: t.customer_id, periodStart: t.period_start, status, note, reviewerId: actor.id, reviewedAt: now },
        update: { status, note, reviewerId: actor.id, reviewedAt: now },
      });
      const audit = await recordAudit(tx, actor, {
        action: status === "held" ? "invoice.held" : "invoice.reviewed",
        targetType: "invoice_preview",
        targetId: `${t.customer_id}:${t.period_start.toISOString()}`,
        customerId: t.customer_id,
        before: { status: t.status ?? "unreviewed", note: t.note },
        after: { status, note, periodStart: t.period_start, totalMinor: t.total_minor, currency: t.currency, flags: t.flags },
        reason: note,
      });
      auditIds.push(audit.id.toString());
    }
    return { status, customerIds: targets.map((t) => t.customer_id), auditIds, periodStarts: targets.map((t) => t.period_start.toISOString()) };
  });
}

export async function markInvoicesReviewed(db: Db, actor: Actor, input: { customerIds: string[]; note?: string | null }) {
  return setReview(db, actor, input.customerIds, "reviewed", input.note?.trim() || null);
}

export async function holdInvoice(db: Db, actor: Actor, input: { customerId: string; note: string }) {
  const note = input.note.trim();
  if (note.length < 3) throw new AppError("INVALID_INPUT", "Say why the invoice is held.", { note: "Say why the invoice is held (at least 3 characters)." });
  return setReview(db, actor, [input.customerId], "held", note);
}
