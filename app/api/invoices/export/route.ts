import { withPermission } from "@/lib/server/route";
import { exportReviewQueue, reviewQueueQuerySchema } from "@/lib/server/queries/review-queue";
import { csvFilename, csvLine } from "@/lib/csv";
import { toMajorString } from "@/lib/billing/money";

export const dynamic = "force-dynamic";

const header = [
  "customer_id", "customer", "plan", "currency", "period_start_utc", "period_end_utc", "subtotal", "credits_applied", "total",
  "last_invoice_total", "change", "change_pct", "flags", "review_status", "reviewer", "reviewed_at_utc", "note", "computed_at_utc", "stale",
];

/** CSV of exactly the review-queue rows the filters select (no page), in the on-screen order. Amounts in major units. */
export const GET = withPermission("customers.view", async (req) => {
  const url = new URL(req.url);
  const query = reviewQueueQuerySchema.parse(Object.fromEntries(url.searchParams));
  const rows = await exportReviewQueue(query);
  const major = (minor: string | null, currency: string) => (minor === null ? "" : toMajorString({ amountMinor: BigInt(minor), currency }));
  const body =
    csvLine(header) +
    rows
      .map((r) =>
        csvLine([
          r.customerId, r.customerName, r.planName ?? "", r.currency, r.periodStart, r.periodEnd,
          major(r.subtotalMinor, r.currency), major(r.creditsMinor, r.currency), major(r.totalMinor, r.currency),
          major(r.lastInvoiceMinor, r.currency), major(r.changeMinor, r.currency), r.changePct ?? "", r.flags.join(";"),
          r.status, r.reviewer ?? "", r.reviewedAt ?? "", r.note ?? "", r.computedAt, r.stale ? "yes" : "no",
        ]),
      )
      .join("");
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${csvFilename("meterdesk-invoice-review")}"`,
      "cache-control": "no-store",
    },
  });
});
