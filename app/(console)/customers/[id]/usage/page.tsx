import type { Metadata } from "next";
import { requirePagePermission } from "@/lib/server/session";
import { db } from "@/lib/server/db";
import { customerIdFromParams } from "@/lib/server/queries/customers";
import { bucketStarts, getUsageCost, getUsageSeries, resolveUsageView, type MeterSeries, type UsageCost, type UsageView } from "@/lib/server/queries/usage";
import { BillingDecimal } from "@/lib/billing/decimal";
import { formatPeriodLabel } from "@/lib/billing/period";
import { bucketRows, cumulativeRows, formatQuantity } from "@/components/charts/usage-chart-data";
import { EmptyState } from "@/components/ui/table";
import { hrefWith, param, type SearchParams } from "@/lib/url";
import { UsageRangeForm } from "./range-form";
import { MeterUsageCard, type MeterCardProps } from "./meter-usage-card";
import { UsageCostTable } from "./usage-cost-table";

export const metadata: Metadata = { title: "Usage" };

const DAY = 86_400_000;

function rangeLabel(view: UsageView): string {
  const label = formatPeriodLabel({ start: view.range.start, end: view.range.end }, { withYear: true });
  const what = { period: view.billing ? "Current billing period" : "This calendar month (no active subscription)", "30d": "Last 30 days", "90d": "Last 90 days", custom: "Custom range" }[view.kind];
  return `${what}: ${label} (UTC)`;
}

/** Chart, allowance line and text summary for one meter. */
function meterCard(s: MeterSeries, view: UsageView, cost: UsageCost | null, now: Date): MeterCardProps {
  const row = cost?.rows.find((r) => r.meterKey === s.meterKey) ?? null;
  const q = (v: string) => `${formatQuantity(v)} ${s.unit}`;
  const cumulative = view.kind === "period" && cost !== null;
  const summary: string[] = [];
  const included = row && row.costMinor !== null ? row.included : null;
  if (cumulative) {
    summary.push(`Used so far this period: ${q(s.total)}.`);
  } else {
    const peak = s.points.reduce((best, p) => (new BillingDecimal(p.quantity).gt(best.quantity) ? p : best), s.points[0]!);
    summary.push(`Total in this range: ${q(s.total)}; busiest ${view.range.bucket === "hour" ? "hour" : "day"}: ${q(peak.quantity)}.`);
  }
  summary.push(included === null ? "No allowance: this meter is not priced by the plan in force." : `Included allowance: ${q(included)} per period.`);
  if (row?.projectedQuantity && cost) {
    const over = included !== null && new BillingDecimal(row.projectedQuantity).gt(included);
    summary.push(
      `Projected at period end: ${q(row.projectedQuantity)} (${q(row.runRatePerDay ?? "0")} per day × ${cost.remainingDays} days left)${included === null ? "" : over ? ", above the allowance." : ", within the allowance."}`,
    );
  } else if (cost) {
    summary.push("Projected at period end: not available — no complete day of usage history yet.");
  } else {
    summary.push("No projection: the customer has no active subscription.");
  }

  if (cumulative) {
    return {
      meterKey: s.meterKey, name: s.name, unit: s.unit, mode: "cumulative", bucket: "day", summary,
      rows: cumulativeRows(bucketStarts(view.range), s.points, row?.projectedByDay ?? null, now),
      allowance: included !== null && new BillingDecimal(included).gt(0) ? included : null,
      allowanceLabel: included !== null ? `Included: ${q(included)}` : "",
      caption:
        "Running total of usage this period (solid area) against the included allowance for the whole period (green line): usage is billable once the area crosses the line. The dashed “Projected” line continues the total to period end at the trailing 7-day average daily rate.",
    };
  }
  // Per-bucket bars: the allowance is shown spread evenly over the period, per bucket.
  let perBucket: string | null = null;
  if (cost && included !== null && new BillingDecimal(included).gt(0)) {
    const periodMs = new Date(cost.period.end).getTime() - new Date(cost.period.start).getTime();
    perBucket = new BillingDecimal(included).times(view.range.bucket === "hour" ? DAY / 24 : DAY).div(periodMs).toDecimalPlaces(6).toFixed();
  }
  const per = view.range.bucket === "hour" ? "hour" : "day";
  return {
    meterKey: s.meterKey, name: s.name, unit: s.unit, mode: "buckets", bucket: view.range.bucket, summary,
    rows: bucketRows(bucketStarts(view.range), s.points, now),
    allowance: perBucket,
    allowanceLabel: perBucket ? `Allowance per ${per}: ${q(perBucket)}` : "",
    caption: perBucket
      ? `Bars: usage per ${per} (UTC). Green line: the period's allowance spread evenly over the period (${q(perBucket)} per ${per}) — bars above it use the allowance faster than it lasts. The projection is for the current period; choose “Current period” to see it drawn.`
      : `Bars: usage per ${per} (UTC).`,
  };
}

export default async function CustomerUsagePage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  await requirePagePermission("customers.view");
  const id = await customerIdFromParams(params);
  const sp = await searchParams;
  const now = new Date();
  const input = { range: param(sp, "range"), from: param(sp, "from"), to: param(sp, "to") };
  const view = await resolveUsageView(db, id, input, now);
  const [series, cost] = await Promise.all([getUsageSeries(db, id, view.range), getUsageCost(db, id, now, view.billing)]);
  const path = `/customers/${id}/usage`;
  const csvHref = hrefWith(`/api/customers/${id}/usage`, {}, { range: view.kind, ...(view.kind === "custom" ? { from: view.from, to: view.to } : {}) });
  const periodLabel = cost ? formatPeriodLabel({ start: new Date(cost.period.start), end: new Date(cost.period.end) }, { withYear: true }) : "";

  return (
    <div className="space-y-6">
      <section aria-labelledby="usage-heading" className="space-y-3">
        <h2 id="usage-heading" className="text-base font-semibold">Usage</h2>
        <UsageRangeForm path={path} kind={view.kind} from={view.from} to={view.to} error={view.error} input={input} />
        <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
          <p>
            <span className="font-medium">{rangeLabel(view)}</span>
            {" · "}
            <span data-testid="usage-bucket">
              {view.range.bucket === "hour"
                ? "Hourly buckets (the range is 7 days or less and hourly rollups cover it)"
                : "Daily buckets (UTC days; hourly rollups are kept for ranges of up to 7 days within the last 14 days)"}
            </span>
          </p>
          <span className="flex gap-4">
            <a href={csvHref} download className="text-indigo-700 underline">Download CSV<span className="sr-only"> of usage in this range</span></a>
            <a href={hrefWith("/reconciliation", {}, { customer: id })} className="text-indigo-700 underline">Compare with the provider’s usage</a>
          </span>
        </div>
        {view.billing ? null : (
          <p className="rounded border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
            This customer has no active subscription, so there is no billing period, allowance, cost or projection. Usage is shown as recorded.
          </p>
        )}
        {series.length === 0 ? (
          <EmptyState title="No usage recorded in this range">Choose a longer range, or check the Reconciliation view for ingest gaps.</EmptyState>
        ) : (
          <div className="grid gap-4 lg:grid-cols-2">
            {series.map((s) => <MeterUsageCard key={s.meterKey} {...meterCard(s, view, cost, now)} />)}
          </div>
        )}
      </section>

      {cost ? (
        <section aria-labelledby="usage-cost-heading" className="space-y-2">
          <h2 id="usage-cost-heading" className="text-base font-semibold">Usage and cost to date <span className="font-normal text-slate-600">({periodLabel})</span></h2>
          <UsageCostTable cost={cost} periodLabel={periodLabel} />
          <div className="space-y-1 text-xs text-slate-600">
            <p>
              Cost is priced with the plan in force when the usage happened (daily usage belongs to the plan in force at the start of its UTC day), after the included allowance, with no credits applied. Usage charges only: the base fee and credits are on the Invoices tab.
            </p>
            <p>
              Projection: the trailing {cost.runRate.days}-day average daily run rate (usage on the complete UTC days {cost.runRate.from} to {cost.runRate.to}, divided by {cost.runRate.days}) × the {cost.remainingDays} days left until period end, added to the usage so far, then priced the same way.
              {cost.runRate.days === 0 ? " There is no complete day of history yet, so nothing is projected." : ""}
            </p>
            <p>The billing period is half-open: “{periodLabel}” starts at the first day’s 00:00 UTC and ends just before the day after the last one.</p>
          </div>
        </section>
      ) : null}
    </div>
  );
}
