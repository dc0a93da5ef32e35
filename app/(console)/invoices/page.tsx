import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/server/db";
import {
  getReviewQueue,
  latestRecomputeJob,
  reviewPlanOptions,
  reviewQueueQuerySchema,
  reviewQueueSummary,
} from "@/lib/server/queries/review-queue";
import { getAnomalyThresholdValues } from "@/lib/server/services/anomaly-settings";
import { ANOMALY_TITLES, THRESHOLD_SETTINGS, type AnomalyCode } from "@/lib/server/billing/anomaly-check";
import { EmptyState, Pagination } from "@/components/ui/table";
import { DateTime } from "@/components/ui/date-time";
import { buttonClass } from "@/components/ui/button";
import { hrefWith, param, type SearchParams } from "@/lib/url";
import { QueueFilters } from "./queue-filters";
import { ReviewQueueTable } from "./review-queue-table";
import { RecomputePanel } from "./recompute-panel";
import { ThresholdsForm } from "./thresholds-form";

export const metadata: Metadata = { title: "Invoices" };

export default async function InvoicesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const actor = await requirePagePermission("customers.view");
  const params = await searchParams;
  const query = reviewQueueQuerySchema.parse(Object.fromEntries(Object.keys(params).map((k) => [k, param(params, k)])));
  const [{ rows, total }, summary, plans, job, thresholds] = await Promise.all([
    getReviewQueue(query),
    reviewQueueSummary(),
    reviewPlanOptions(),
    latestRecomputeJob(),
    getAnomalyThresholdValues(db),
  ]);
  const canReview = can(actor.role, "invoices.review");
  const canEditThresholds = can(actor.role, "anomaly_settings.edit");
  const filtered = Boolean(query.flag || query.plan || query.status || query.min || query.max);
  const exportHref = hrefWith("/api/invoices/export", params, { page: undefined, pageSize: undefined });

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold">Invoices</h1>
          <p className="text-sm text-slate-600">
            Review every upcoming invoice before it finalises: the provider&apos;s preview checked against Meterdesk&apos;s own computation and the anomaly rules.
            {summary.lastComputedAt ? <> Previews computed <DateTime iso={summary.lastComputedAt} />.</> : null}
          </p>
        </div>
        <RecomputePanel canRecompute={canReview} initialJob={job} />
      </div>

      <section aria-labelledby="flag-summary" className="space-y-2">
        <h2 id="flag-summary" className="sr-only">Flags in the queue</h2>
        <ul className="flex flex-wrap gap-2 text-sm">
          <li>
            <Link href={hrefWith("/invoices", params, { flag: "any", page: undefined })} aria-current={query.flag === "any" ? "true" : undefined}
              className={`inline-flex gap-1 rounded border px-2 py-1 hover:bg-slate-100 ${query.flag === "any" ? "border-indigo-600 bg-indigo-50" : "border-slate-300 bg-white"}`}>
              Any flag <span className="tabular font-semibold">{summary.flagged.toLocaleString("en-US")}</span>
            </Link>
          </li>
          {summary.byFlag.filter((f) => f.count > 0 || f.code === "shadow_mismatch").map((f) => (
            <li key={f.code}>
              <Link href={hrefWith("/invoices", params, { flag: f.code, page: undefined })} aria-current={query.flag === f.code ? "true" : undefined}
                className={`inline-flex gap-1 rounded border px-2 py-1 hover:bg-slate-100 ${query.flag === f.code ? "border-indigo-600 bg-indigo-50" : "border-slate-300 bg-white"}`}>
                {f.title} <span className="tabular font-semibold">{f.count.toLocaleString("en-US")}</span>
              </Link>
            </li>
          ))}
        </ul>
        <p className="text-xs text-slate-600">
          {summary.needingReview.toLocaleString("en-US")} flagged invoice(s) not yet reviewed · {summary.byStatus.held.toLocaleString("en-US")} held ·{" "}
          {summary.byStatus.reviewed.toLocaleString("en-US")} reviewed · {summary.total.toLocaleString("en-US")} in all
        </p>
      </section>

      <QueueFilters query={query} plans={plans} flagTitles={ANOMALY_TITLES as Record<AnomalyCode, string>} exportHref={exportHref} />

      {rows.length === 0 ? (
        summary.total === 0 ? (
          <EmptyState title="No invoice previews yet">
            {canReview ? "Recompute previews to fill the queue." : "Finance fills the queue by recomputing previews."}
          </EmptyState>
        ) : (
          <EmptyState title="No invoices match these filters">
            {filtered ? <Link className="text-indigo-700 underline" href="/invoices">Clear filters</Link> : null}
          </EmptyState>
        )
      ) : (
        <ReviewQueueTable rows={rows} params={params} sort={query.sort} dir={query.dir} canReview={canReview} />
      )}
      <Pagination path="/invoices" params={params} page={query.page} pageSize={query.pageSize} total={total} noun="invoices" />

      <details className="rounded-lg border border-slate-200 bg-white p-3" open={param(params, "thresholds") === "open" || undefined}>
        <summary className="cursor-pointer text-base font-semibold">Anomaly thresholds</summary>
        <p className="mt-1 text-xs text-slate-600">
          Each flag is a named rule with these thresholds. {canEditThresholds ? "Changes apply from the next recompute and are audited." : "Finance admins can change them."}
        </p>
        <ThresholdsForm
          editable={canEditThresholds}
          values={thresholds}
          fields={THRESHOLD_SETTINGS.map((s) => ({ key: s.key, rule: s.rule, ruleTitle: ANOMALY_TITLES[s.rule as AnomalyCode] ?? s.rule, label: s.label, hint: s.hint, kind: s.kind }))}
        />
      </details>
      <p className="text-xs text-slate-500">
        <a className={buttonClass("ghost", "px-0")} href="/audit?action=invoice.held">Held invoices in the audit log</a>
      </p>
    </div>
  );
}
