import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { db } from "@/lib/server/db";
import { getPlanCatalog, ALLOWANCE_BANDS, type CatalogPlanDto } from "@/lib/server/queries/adoption";
import { formatMoney } from "@/lib/billing";
import { hrefWith, type SearchParams } from "@/lib/url";
import { Money } from "@/components/ui/money";
import { EmptyState, Table, Td, Th } from "@/components/ui/table";
import { SelectField, TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";
import { Badge } from "@/components/ui/badge";
import { StackedChart } from "./stacked-chart";
import { bucketLabel, datasetTable, loadAdoption, rangeFromParams, rangeParams, type Dataset } from "./adoption-data";

export const metadata: Metadata = { title: "Plans" };

function CsvLink({ dataset, params, what }: { dataset: Dataset; params: Record<string, string>; what: string }) {
  return (
    <a href={hrefWith("/plans/export", params, { dataset })} download className="text-sm text-indigo-700 underline">
      Download CSV<span className="sr-only"> of {what}</span>
    </a>
  );
}

function priceText(p: CatalogPlanDto["versions"][number]["prices"][number], currency: string): string {
  const money = (major: string | null) => (major === null ? "—" : `${currency} ${major}`);
  switch (p.model) {
    case "per_unit":
      return `${money(p.unitPrice)} per ${p.unit}`;
    case "package":
      return `${money(p.packagePrice)} per ${p.packageSize} ${p.unit}`;
    default:
      return `${p.model === "volume" ? "Volume" : "Graduated"}: ${p.tiers
        .map((t, i) => `${i === 0 ? "first" : "then"} ${t.upTo === null ? "above" : `up to ${t.upTo}`} at ${money(t.unitPrice)}${t.flatFee ? ` + ${money(t.flatFee)} flat` : ""}`)
        .join("; ")}`;
  }
}

export default async function PlansPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePagePermission("customers.view");
  const sp = await searchParams;
  const now = new Date();
  const { range, error } = rangeFromParams(sp, now);
  const [catalog, data] = await Promise.all([getPlanCatalog(db), loadAdoption(db, range, now)]);
  const params = rangeParams(range);
  const label = (b: string) => bucketLabel(b, range.interval);
  const subscribers = datasetTable(data, range, "subscribers");
  const planName = new Map(data.changes.plans.map((p) => [p.key, p.name]));
  const changedPlans = data.changes.plans.filter((p) => data.changes.cells.some((c) => c.from === p.key || c.to === p.key));
  const over = data.allowance.customers.filter((c) => c.band === "over");
  const rangeText = `${range.from} to ${range.to} (UTC days, both included), ${range.interval === "month" ? "monthly" : "weekly"} points`;

  return (
    <div className="space-y-8">
      <div className="space-y-3">
        <h1 className="text-xl font-semibold">Plans</h1>
        <form method="get" action="/plans" aria-label="Adoption range" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
          <TextField id="from" label="From (UTC day)" type="date" defaultValue={error ? (sp.from as string) ?? "" : range.from} error={error?.fieldErrors.from} required />
          <TextField id="to" label="To (UTC day, included)" type="date" defaultValue={error ? (sp.to as string) ?? "" : range.to} error={error?.fieldErrors.to} required />
          <SelectField id="interval" label="Points" defaultValue={range.interval} error={error?.fieldErrors.interval}>
            <option value="month">Monthly</option>
            <option value="week">Weekly</option>
          </SelectField>
          <SelectField id="currency" label="Revenue currency" defaultValue={range.currency}>
            {[...new Set([...data.revenue.currencies, range.currency])].map((c) => <option key={c} value={c}>{c}</option>)}
          </SelectField>
          <button type="submit" className={buttonClass("primary")}>Show</button>
        </form>
        {error ? <p role="alert" className="rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">{error.message}</p> : null}
        <p className="text-sm text-slate-600">Range: {rangeText}.</p>
      </div>

      <section aria-labelledby="subscribers-heading" className="space-y-2">
        <div className="flex items-center justify-between">
          <h2 id="subscribers-heading" className="text-base font-semibold">Active subscribers by plan</h2>
          <CsvLink dataset="subscribers" params={params} what="active subscribers by plan" />
        </div>
        {data.subscribers.plans.length === 0 ? (
          <EmptyState title="No subscriptions in this range">Choose a wider range.</EmptyState>
        ) : (
          <>
            <StackedChart
              kind="area"
              title="Active subscribers by plan over time"
              description={`Stacked: active subscriptions per plan at the end of each ${range.interval} (or now, for the current one).`}
              rows={data.subscribers.points.map((p) => ({ label: label(p.bucket), values: p.values }))}
              series={data.subscribers.plans.map((p) => ({ key: p.key, name: p.name }))}
              unitLabel="subscribers"
            />
            <p className="text-xs text-slate-600">A subscription counts for the plan in force at the end of each {range.interval === "month" ? "month" : "week"} (now, for the one in progress), from the subscription phases.</p>
            <Table caption="Active subscribers by plan at the end of each period">
              <thead><tr>{subscribers.header.map((h, i) => <Th key={h} align={i === 0 ? "left" : "right"}>{i === 0 ? (range.interval === "month" ? "Month" : "Week") : h === "total" ? "Total" : h}</Th>)}</tr></thead>
              <tbody className="divide-y divide-slate-100">
                {subscribers.rows.map((r) => (
                  <tr key={r[0]}>{r.map((v, i) => <Td key={i} align={i === 0 ? "left" : "right"} className="tabular">{i === 0 ? label(v) : Number(v).toLocaleString("en-US")}</Td>)}</tr>
                ))}
              </tbody>
            </Table>
          </>
        )}
      </section>

      <section aria-labelledby="revenue-heading" className="space-y-2">
        <div className="flex items-center justify-between">
          <h2 id="revenue-heading" className="text-base font-semibold">Revenue by plan ({range.currency})</h2>
          <CsvLink dataset="revenue" params={params} what="revenue by plan" />
        </div>
        {data.revenue.plans.length === 0 ? (
          <EmptyState title={`No ${range.currency} invoices in this range`}>Choose a wider range or another currency.</EmptyState>
        ) : (
          <>
            <StackedChart
              kind="bar"
              title={`Invoiced revenue by plan in ${range.currency}`}
              description={`Stacked bars: invoice totals per plan for invoices whose period begins in each ${range.interval}.`}
              rows={data.revenue.points.map((p) => ({ label: label(p.bucket), values: p.values }))}
              series={data.revenue.plans.map((p) => ({ key: p.key, name: p.name }))}
              unitLabel={range.currency}
              scale={100}
            />
            <p className="text-xs text-slate-600">Invoice totals (after credits; void invoices excluded) by the month or week their billing period begins, each attributed to the plan in force when that period began.</p>
            <Table caption={`Revenue by plan in ${range.currency}`}>
              <thead>
                <tr>
                  <Th>{range.interval === "month" ? "Month" : "Week"}</Th>
                  {data.revenue.plans.map((p) => <Th key={p.key} align="right">{p.name}</Th>)}
                  <Th align="right">Total</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {data.revenue.points.map((p) => (
                  <tr key={p.bucket}>
                    <Td>{label(p.bucket)}</Td>
                    {data.revenue.plans.map((pl) => <Td key={pl.key} align="right"><Money minor={p.values[pl.key] ?? "0"} currency={range.currency} /></Td>)}
                    <Td align="right"><Money minor={data.revenue.plans.reduce((s, pl) => s + BigInt(p.values[pl.key] ?? "0"), 0n)} currency={range.currency} /></Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}
      </section>

      <section aria-labelledby="changes-heading" className="space-y-2">
        <div className="flex items-center justify-between">
          <h2 id="changes-heading" className="text-base font-semibold">Plan changes in the range</h2>
          <CsvLink dataset="changes" params={params} what="plan changes" />
        </div>
        <p className="text-sm" data-testid="change-summary">
          {data.changes.upgrades} upgrade{data.changes.upgrades === 1 ? "" : "s"}, {data.changes.downgrades} downgrade{data.changes.downgrades === 1 ? "" : "s"}
          {data.changes.lateral ? `, ${data.changes.lateral} to a plan of the same tier` : ""} — applied changes taking effect {range.from} to {range.to}. Upgrade or downgrade is decided by the plans’ tier.
        </p>
        {data.changes.cells.length === 0 ? (
          <EmptyState title="No plan changes took effect in this range" />
        ) : (
          <>
            <Table caption="Plan-change matrix: rows are the plan moved from, columns the plan moved to">
              <thead>
                <tr>
                  <Th>From \ To</Th>
                  {changedPlans.map((p) => <Th key={p.key} align="right">{p.name}</Th>)}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {changedPlans.map((from) => (
                  <tr key={from.key}>
                    <th scope="row" className="px-3 py-2 text-left font-medium">{from.name}</th>
                    {changedPlans.map((to) => {
                      const cell = data.changes.cells.find((c) => c.from === from.key && c.to === to.key);
                      return (
                        <Td key={to.key} align="right" className={`tabular ${cell?.direction === "upgrade" ? "bg-emerald-50" : cell?.direction === "downgrade" ? "bg-amber-50" : ""}`}>
                          {cell ? <>{cell.count} <span className="text-xs text-slate-600">{cell.direction === "upgrade" ? "↑ up" : cell.direction === "downgrade" ? "↓ down" : "→"}</span></> : <span className="text-slate-400">0</span>}
                        </Td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </Table>
            <Table caption="Plan changes by pair">
              <thead><tr><Th>From</Th><Th>To</Th><Th>Direction</Th><Th align="right">Changes</Th></tr></thead>
              <tbody className="divide-y divide-slate-100">
                {data.changes.cells.map((c) => (
                  <tr key={`${c.from}-${c.to}`}>
                    <Td>{planName.get(c.from)}</Td>
                    <Td>{planName.get(c.to)}</Td>
                    <Td><Badge tone={c.direction === "upgrade" ? "good" : c.direction === "downgrade" ? "warn" : "neutral"}>{c.direction}</Badge></Td>
                    <Td align="right" className="tabular">{c.count}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}
      </section>

      <section aria-labelledby="allowance-heading" className="space-y-2">
        <div className="flex items-center justify-between">
          <h2 id="allowance-heading" className="text-base font-semibold">Usage against allowance, current period</h2>
          <CsvLink dataset="allowance" params={params} what="usage against allowance per plan" />
        </div>
        <p className="text-xs text-slate-600">
          Each active subscriber is placed by its most-used allowance meter: usage so far in its own current billing period divided by the plan’s included quantity (meters with no allowance are left out). As of now, independent of the range above.
        </p>
        {data.allowance.plans.length === 0 ? (
          <EmptyState title="No active subscribers with allowances" />
        ) : (
          <>
            <StackedChart
              kind="bar"
              title="Subscribers by share of allowance used, per plan"
              description="Stacked bars per plan: customers under 50%, 50–80%, 80–100% and over their allowance."
              rows={data.allowance.plans.map((p) => ({ label: p.name, values: Object.fromEntries(Object.entries(p.counts).map(([k, v]) => [k, String(v)])) }))}
              series={ALLOWANCE_BANDS.map((b) => ({ key: b.band, name: b.label }))}
              unitLabel="customers"
            />
            <Table caption="Customers per plan by share of allowance used">
              <thead><tr><Th>Plan</Th>{ALLOWANCE_BANDS.map((b) => <Th key={b.band} align="right">{b.label}</Th>)}<Th align="right">Customers</Th></tr></thead>
              <tbody className="divide-y divide-slate-100">
                {data.allowance.plans.map((p) => (
                  <tr key={p.key}>
                    <Td>{p.name}</Td>
                    {ALLOWANCE_BANDS.map((b) => <Td key={b.band} align="right" className="tabular">{p.counts[b.band]}</Td>)}
                    <Td align="right" className="tabular">{Object.values(p.counts).reduce((s, n) => s + n, 0)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}
        <div className="flex items-center justify-between pt-2">
          <h3 className="text-sm font-semibold">Customers over their allowance ({over.length})</h3>
          <CsvLink dataset="over-allowance" params={params} what="customers over their allowance" />
        </div>
        {over.length === 0 ? (
          <EmptyState title="Nobody is over their allowance this period" />
        ) : (
          <Table caption="Customers over their allowance, most over first">
            <thead><tr><Th>Customer</Th><Th>Plan</Th><Th>Meter</Th><Th align="right">Used</Th><Th align="right">Included</Th><Th align="right">Of allowance</Th></tr></thead>
            <tbody className="divide-y divide-slate-100">
              {over.slice(0, 100).map((c) => (
                <tr key={c.customerId}>
                  <Td><Link className="text-indigo-700 underline" href={`/customers/${c.customerId}/usage`}>{c.name}</Link> <span className="text-xs text-slate-500">{c.platformId}</span></Td>
                  <Td>{c.planName}</Td>
                  <Td>{c.meterName}</Td>
                  <Td align="right" className="tabular">{c.used} {c.unit}</Td>
                  <Td align="right" className="tabular">{c.included} {c.unit}</Td>
                  <Td align="right" className="tabular">{c.percent}%</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        {over.length > 100 ? <p className="text-xs text-slate-600">Showing the 100 most over; the CSV has all {over.length}.</p> : null}
      </section>

      <section aria-labelledby="catalog-heading" className="space-y-2">
        <h2 id="catalog-heading" className="text-base font-semibold">Catalog</h2>
        {catalog.length === 0 ? <EmptyState title="No plans in the catalog" /> : null}
        {catalog.map((plan) => (
          <details key={plan.id} className="rounded-lg border border-slate-200 bg-white p-3">
            <summary className="cursor-pointer">
              <span className="font-medium">{plan.name}</span> <span className="text-xs text-slate-500">({plan.key}, tier {plan.tier})</span>{" "}
              {plan.status === "archived" ? <Badge>archived</Badge> : null}{" "}
              <span className="text-sm text-slate-600">{plan.versions.map((v) => `${formatMoney({ amountMinor: BigInt(v.baseFeeMinor), currency: v.currency })}/month`).join(" · ")}</span>
            </summary>
            <p className="mt-1 text-sm text-slate-600">{plan.description}</p>
            {plan.versions.map((v) => (
              <div key={v.id} className="mt-2">
                <Table caption={`${plan.name} version ${v.version} (${v.currency}): base fee and meters`} captionHidden={false}>
                  <thead><tr><Th>Meter</Th><Th align="right">Included per period</Th><Th>Price</Th></tr></thead>
                  <tbody className="divide-y divide-slate-100">
                    <tr>
                      <Td>Base fee{v.minimumMinor ? " (minimum commitment)" : ""}</Td>
                      <Td align="right">—</Td>
                      <Td><Money minor={v.baseFeeMinor} currency={v.currency} /> per month{v.minimumMinor ? <>; minimum <Money minor={v.minimumMinor} currency={v.currency} /></> : null}</Td>
                    </tr>
                    {v.prices.map((p) => (
                      <tr key={p.meterKey}>
                        <Td>{p.meterName}</Td>
                        <Td align="right" className="tabular">{p.included} {p.unit}</Td>
                        <Td className="text-xs">{priceText(p, v.currency)}</Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </div>
            ))}
          </details>
        ))}
      </section>
    </div>
  );
}
