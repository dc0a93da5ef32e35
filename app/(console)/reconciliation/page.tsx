import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { db } from "@/lib/server/db";
import { can } from "@/lib/auth/permissions";
import { getBillingProvider } from "@/lib/providers";
import { formatMoney, BillingDecimal } from "@/lib/billing";
import { customerListQuerySchema, searchCustomers } from "@/lib/server/queries/customers";
import { customerDiscrepancies, listDiscrepancies, parseReconRange, resyncProgress, type Discrepancy, type ReconRange } from "@/lib/server/queries/reconciliation";
import { hrefWith, param, type SearchParams } from "@/lib/url";
import { Money } from "@/components/ui/money";
import { EmptyState, Pagination, Table, Td, Th } from "@/components/ui/table";
import { TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";
import { ResyncPanel, type ResyncPlan } from "./resync-panel";

export const metadata: Metadata = { title: "Reconciliation" };

const PAGE_SIZE = 50;
const METHOD =
  "Money impact: the cost of the meter’s usage line for the billing period priced with Meterdesk’s usage, minus the same priced with the provider’s quantities on the differing days (plan in force, allowance and tiers, rounded once per line as on the invoice). Positive: the provider would bill less than the usage recorded (revenue at risk); negative: it would bill more.";

function Impact({ g }: { g: Discrepancy }) {
  return g.impactMinor === null ? <span className="text-xs text-slate-500">not priced</span> : <Money minor={g.impactMinor} currency={g.currency} />;
}

function signed(q: string) {
  return new BillingDecimal(q).gt(0) ? `+${q}` : q;
}

function RangeForm({ range, sp, error, customer }: { range: ReconRange; sp: SearchParams; error: { fieldErrors: Record<string, string> } | null; customer?: string }) {
  return (
    <form method="get" action="/reconciliation" aria-label="Reconciliation range" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
      {customer ? <input type="hidden" name="customer" value={customer} /> : null}
      <TextField id="from" label="From (UTC day)" type="date" required defaultValue={error ? (param(sp, "from") ?? "") : range.from} error={error?.fieldErrors.from} />
      <TextField id="to" label="To (UTC day, included)" type="date" required defaultValue={error ? (param(sp, "to") ?? "") : range.to} error={error?.fieldErrors.to} />
      <button type="submit" className={buttonClass("primary")}>Compare</button>
    </form>
  );
}

/**
 * For providers without an all-customer usage call: find a customer (name, email, platform or
 * provider id, as on /customers) and open their drill-down.
 */
async function CustomerFinder({ sp, rangeParams }: { sp: SearchParams; rangeParams: { from: string; to: string } }) {
  const find = param(sp, "find")?.trim() ?? "";
  const found = find ? await searchCustomers(customerListQuerySchema.parse({ q: find, pageSize: 25 })) : null;
  return (
    <section aria-labelledby="recon-find" className="space-y-3">
      <h2 id="recon-find" className="text-base font-semibold">Compare one customer</h2>
      <form method="get" action="/reconciliation" aria-label="Find a customer to compare" className="flex flex-wrap items-end gap-3">
        <input type="hidden" name="from" value={rangeParams.from} />
        <input type="hidden" name="to" value={rangeParams.to} />
        <TextField id="find" label="Customer (name, email or id)" defaultValue={find} maxLength={200} />
        <button type="submit" className={buttonClass("secondary")}>Find</button>
      </form>
      {found === null ? null : found.rows.length === 0 ? (
        <p className="text-sm text-slate-600">No customer matches “{find}”.</p>
      ) : (
        <ul aria-label="Matching customers" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {found.rows.map((c) => (
            <li key={c.id} className="px-3 py-2 text-sm">
              <Link className="text-indigo-700 underline" href={hrefWith("/reconciliation", rangeParams, { customer: c.id })}>
                {c.name}
              </Link>{" "}
              <span className="text-xs text-slate-500">{c.platformId} · {c.email}</span>
            </li>
          ))}
          {found.total > found.rows.length ? <li className="px-3 py-2 text-xs text-slate-500">{found.total - found.rows.length} more: narrow the search.</li> : null}
        </ul>
      )}
    </section>
  );
}

export default async function ReconciliationPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const actor = await requirePagePermission("reconciliation.view");
  const sp = await searchParams;
  const now = new Date();
  const { range, error } = parseReconRange({ from: param(sp, "from"), to: param(sp, "to") }, now);
  const customerId = param(sp, "customer");
  const rangeParams = { from: range.from, to: range.to };
  let provider;
  try {
    provider = getBillingProvider(db);
  } catch (e) {
    return (
      <div className="space-y-3">
        <h1 className="text-xl font-semibold">Reconciliation</h1>
        <p role="alert" className="text-sm text-red-800">{e instanceof Error ? e.message : "The billing provider is not configured."}</p>
      </div>
    );
  }

  if (customerId && /^[0-9a-f-]{36}$/i.test(customerId)) {
    const recon = await customerDiscrepancies(db, provider, customerId, range);
    const progress = recon.customer ? await resyncProgress(db, customerId) : [];
    const days = recon.discrepancies.flatMap((g) => g.days.map((x) => ({ ...x, g })));
    days.sort((a, b) => a.day.localeCompare(b.day) || a.meterKey.localeCompare(b.meterKey));
    const resendable = recon.discrepancies.filter((g) => g.days.some((x) => new BillingDecimal(x.difference).gt(0)));
    const totals = new Map<string, bigint>();
    for (const g of recon.discrepancies) if (g.impactMinor !== null) totals.set(g.currency, (totals.get(g.currency) ?? 0n) + BigInt(g.impactMinor));
    const impact = [...totals.entries()].map(([cur, m]) =>
      m === 0n
        ? "no change to the provider’s usage charges"
        : `the provider’s usage charges for ${recon.customer?.name} ${m > 0n ? "rise" : "fall"} by ${formatMoney({ amountMinor: m > 0n ? m : -m, currency: cur })} to match Meterdesk’s usage`,
    );
    const plan: ResyncPlan = {
      customerId,
      customerName: recon.customer?.name ?? "",
      from: range.from,
      to: range.to,
      effects: resendable.map((g) => {
        const up = g.days.filter((x) => new BillingDecimal(x.difference).gt(0));
        const q = up.reduce((s, x) => s.plus(x.difference), new BillingDecimal(0)).toFixed();
        return `+${q} ${g.unit} of ${g.meterName} over ${up.length} day${up.length === 1 ? "" : "s"} (${up.map((x) => x.day).join(", ")})`;
      }),
      impact: impact.join("; ") || "not priced (no active subscription)",
      notResendable: recon.discrepancies.flatMap((g) => g.days.filter((x) => new BillingDecimal(x.difference).lt(0)).map((x) => `${g.meterName} on ${x.day} (${x.difference} ${g.unit})`)),
      resendable: resendable.length > 0,
    };
    return (
      <div className="space-y-4">
        <p className="text-sm"><Link className="text-indigo-700 underline" href={hrefWith("/reconciliation", rangeParams, {})}>← All discrepancies</Link></p>
        <h1 className="text-xl font-semibold">Reconciliation: {recon.customer?.name ?? "unknown customer"}</h1>
        <RangeForm range={range} sp={sp} error={error} customer={customerId} />
        {!recon.customer ? (
          <EmptyState title="This customer does not exist or is not billed by this provider" />
        ) : (
          <>
            <p className="text-sm text-slate-600">
              {recon.customer.platformId} · compared {recon.daysCompared} meter-days, {range.from} to {range.to} (UTC), Meterdesk vs {recon.providerKind}.{" "}
              <Link className="text-indigo-700 underline" href={`/customers/${customerId}/usage`}>Usage tab</Link>
            </p>
            {days.length === 0 ? (
              <EmptyState title="Meterdesk and the provider agree on every day in this range" />
            ) : (
              <Table caption={`Days where the provider differs from Meterdesk for ${recon.customer.name}`}>
                <thead><tr><Th>Day (UTC)</Th><Th>Meter</Th><Th align="right">Meterdesk</Th><Th align="right">Provider</Th><Th align="right">Difference</Th></tr></thead>
                <tbody className="divide-y divide-slate-100">
                  {days.map((x) => (
                    <tr key={`${x.meterKey}-${x.day}`}>
                      <Td>{x.day}</Td>
                      <Td>{x.g.meterName}</Td>
                      <Td align="right" className="tabular">{x.platform} {x.g.unit}</Td>
                      <Td align="right" className="tabular">{x.provider === null ? "no record" : `${x.provider} ${x.g.unit}`}</Td>
                      <Td align="right" className="tabular">{signed(x.difference)} {x.g.unit}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
            {recon.discrepancies.length > 0 ? (
              <Table caption="Money impact per meter">
                <thead><tr><Th>Meter</Th><Th align="right">Difference</Th><Th align="right">Money impact</Th></tr></thead>
                <tbody className="divide-y divide-slate-100">
                  {recon.discrepancies.map((g) => (
                    <tr key={g.meterKey}><Td>{g.meterName}</Td><Td align="right" className="tabular">{signed(g.difference)} {g.unit}</Td><Td align="right"><Impact g={g} /></Td></tr>
                  ))}
                </tbody>
              </Table>
            ) : null}
            <ResyncPanel plan={plan} progress={progress} canResync={can(actor.role, "reconciliation.resync")} />
            <p className="text-xs text-slate-600">{METHOD}</p>
          </>
        )}
      </div>
    );
  }

  const list = await listDiscrepancies(db, provider, range);
  const page = Math.max(1, Number(param(sp, "page")) || 1);
  const shown = list.discrepancies.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const customers = new Set(list.discrepancies.map((g) => g.customerId)).size;
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold">Reconciliation</h1>
      <RangeForm range={range} sp={sp} error={error} />
      {error ? <p role="alert" className="text-sm text-red-800">{error.message}</p> : null}
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <p>
          Meterdesk’s daily usage vs the {list.providerKind} provider’s, {range.from} to {range.to} (UTC days, both included):{" "}
          <strong>{list.discrepancies.length} meter{list.discrepancies.length === 1 ? "" : "s"} differ across {customers} customer{customers === 1 ? "" : "s"}</strong> of {list.customersCompared} compared.
        </p>
        <a className="text-indigo-700 underline" download href={hrefWith("/reconciliation/export", rangeParams, {})}>Download CSV<span className="sr-only"> of discrepancies</span></a>
      </div>
      {!list.comparable ? (
        <>
          <EmptyState title="This provider cannot list usage for all customers at once">Find a customer to compare their usage day by day.</EmptyState>
          <CustomerFinder sp={sp} rangeParams={rangeParams} />
        </>
      ) : shown.length === 0 ? (
        <EmptyState title="No discrepancies: the provider agrees with Meterdesk on every customer, meter and day in this range" />
      ) : (
        <>
          <Table caption="Discrepancies, largest money impact first">
            <thead>
              <tr><Th>Customer</Th><Th>Meter</Th><Th align="right">Days differing</Th><Th align="right">Meterdesk</Th><Th align="right">Provider</Th><Th align="right">Difference</Th><Th align="right">Money impact</Th><Th>Details</Th></tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {shown.map((g) => (
                <tr key={`${g.customerId}-${g.meterKey}`}>
                  <Td>{g.customerName} <span className="text-xs text-slate-500">{g.platformId}</span></Td>
                  <Td>{g.meterName}</Td>
                  <Td align="right" className="tabular">{g.days.length}</Td>
                  <Td align="right" className="tabular">{g.platformTotal} {g.unit}</Td>
                  <Td align="right" className="tabular">{g.providerTotal} {g.unit}</Td>
                  <Td align="right" className="tabular">{signed(g.difference)} {g.unit}</Td>
                  <Td align="right"><Impact g={g} /></Td>
                  <Td><Link className="text-indigo-700 underline" href={hrefWith("/reconciliation", rangeParams, { customer: g.customerId })}>Days<span className="sr-only"> for {g.customerName}, {g.meterName}</span></Link></Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination path="/reconciliation" params={{ ...rangeParams, page: String(page) }} page={page} pageSize={PAGE_SIZE} total={list.discrepancies.length} noun="discrepancies" />
        </>
      )}
      <p className="text-xs text-slate-600">{METHOD} Only differing meter-days are listed; a day the provider has no record of counts as zero there.</p>
    </div>
  );
}
