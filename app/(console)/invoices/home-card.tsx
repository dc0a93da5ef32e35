import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import type { Actor } from "@/lib/server/session";
import { reviewQueueSummary } from "@/lib/server/queries/review-queue";

/** Home page card for finance roles: flagged upcoming invoices nobody has reviewed yet. */
export async function InvoicesHomeCard({ actor }: { actor: Actor }) {
  if (!can(actor.role, "invoices.review")) return null;
  const summary = await reviewQueueSummary();
  const mismatches = summary.byFlag.find((f) => f.code === "shadow_mismatch")?.count ?? 0;
  return (
    <section aria-labelledby="invoices-review-heading" className="rounded-lg border border-slate-200 bg-white p-3">
      <h2 id="invoices-review-heading" className="text-base font-semibold">Invoices needing review</h2>
      {summary.total === 0 ? (
        <p className="text-sm text-slate-600">No previews computed yet. <Link className="text-indigo-700 underline" href="/invoices">Open the review queue</Link> to recompute them.</p>
      ) : (
        <dl className="mt-1 grid grid-cols-3 gap-3 text-sm">
          <div>
            <dt className="text-xs text-slate-500">Flagged, not reviewed</dt>
            <dd className="tabular text-lg font-semibold"><Link href="/invoices?flag=any&status=unreviewed">{summary.needingReview.toLocaleString("en-US")}</Link></dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Shadow mismatches</dt>
            <dd className="tabular text-lg font-semibold"><Link href="/invoices?flag=shadow_mismatch">{mismatches.toLocaleString("en-US")}</Link></dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Held</dt>
            <dd className="tabular text-lg font-semibold"><Link href="/invoices?status=held">{summary.byStatus.held.toLocaleString("en-US")}</Link></dd>
          </div>
        </dl>
      )}
    </section>
  );
}
