import type { ReactNode } from "react";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/server/session";
import { getCustomerHeader } from "@/lib/server/queries/customers";
import { Badge, customerStatusTone } from "@/components/ui/badge";
import { Money } from "@/components/ui/money";
import { providerCustomerUrl, providerLabels } from "@/lib/providers/links";
import { CustomerTabs } from "./customer-tabs";

// Tabs in the order people use them; each is a folder beside this layout.
const customerTabs = [
  { slug: "usage", label: "Usage" },
  { slug: "credits", label: "Credits" },
  { slug: "plan", label: "Plan" },
  { slug: "invoices", label: "Invoices" },
  { slug: "activity", label: "Activity" },
];

export default async function CustomerLayout({ children, params }: { children: ReactNode; params: Promise<{ id: string }> }) {
  await requirePagePermission("customers.view");
  const { id } = await params;
  const customer = await getCustomerHeader(id);
  if (!customer) notFound();
  const providerUrl = providerCustomerUrl(customer.provider, customer.providerCustomerId);

  return (
    <div className="space-y-4">
      <section aria-labelledby="customer-name" className="rounded-lg border border-slate-200 bg-white p-4">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div>
            <h1 id="customer-name" className="text-xl font-semibold">{customer.name}</h1>
            <p className="text-sm text-slate-600">{customer.email}</p>
          </div>
          <div className="text-right">
            <p className="text-xs text-slate-500">Credit balance</p>
            {customer.balances.map((b) => (
              <p key={b.currency} className="text-lg font-semibold"><Money minor={b.minor} currency={b.currency} /></p>
            ))}
          </div>
        </div>
        <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4 lg:grid-cols-7">
          <div><dt className="text-xs text-slate-500">Plan</dt><dd>{customer.plan?.name ?? "No active plan"}</dd></div>
          <div><dt className="text-xs text-slate-500">Status</dt><dd><Badge tone={customerStatusTone[customer.status]}>{customer.status.replace("_", " ")}</Badge></dd></div>
          <div><dt className="text-xs text-slate-500">Region</dt><dd>{customer.region}</dd></div>
          <div><dt className="text-xs text-slate-500">Currency</dt><dd>{customer.currency}</dd></div>
          <div><dt className="text-xs text-slate-500">Platform id</dt><dd className="font-mono text-xs">{customer.platformId}</dd></div>
          <div><dt className="text-xs text-slate-500">Provider</dt><dd>{providerLabels[customer.provider] ?? customer.provider}</dd></div>
          <div>
            <dt className="text-xs text-slate-500">Provider customer id</dt>
            <dd className="font-mono text-xs">
              {providerUrl ? (
                <a className="text-indigo-700 underline" href={providerUrl} target="_blank" rel="noreferrer">{customer.providerCustomerId}<span className="sr-only"> (opens the provider’s dashboard)</span></a>
              ) : (customer.providerCustomerId ?? "—")}
            </dd>
          </div>
        </dl>
      </section>
      <CustomerTabs id={customer.id} tabs={customerTabs} />
      {children}
    </div>
  );
}
