import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { can, roleLabels } from "@/lib/auth/permissions";
import { db } from "@/lib/server/db";
import { searchAudit } from "@/lib/server/queries/audit";
import { AuditTable } from "@/components/audit/audit-table";
import { buttonClass } from "@/components/ui/button";
import { CreditsHomeSection } from "./credits/home-section";
import { InvoicesHomeCard } from "./invoices/home-card";
import { OperationsHomeCard } from "./operations-home-card";

export const metadata: Metadata = { title: "Home" };

export default async function HomePage() {
  const actor = await requirePagePermission("customers.view");
  const showActivity = can(actor.role, "audit.view");
  const [customerCounts, recent] = await Promise.all([
    db.customer.groupBy({ by: ["status"], _count: { _all: true } }),
    showActivity ? searchAudit({ page: 1, pageSize: 10 }) : Promise.resolve(null),
  ]);
  const totalCustomers = customerCounts.reduce((n, c) => n + c._count._all, 0);
  const byStatus = Object.fromEntries(customerCounts.map((c) => [c.status, c._count._all]));

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold">Good to see you, {actor.name.split(" ")[0]}</h1>
        <p className="text-sm text-slate-600">Signed in as {roleLabels[actor.role]}.</p>
      </div>
      <form method="get" action="/customers" role="search" aria-label="Find a customer" className="flex max-w-xl gap-2">
        <label htmlFor="home-search" className="sr-only">Find a customer</label>
        <input id="home-search" name="q" type="search" placeholder="Find a customer by name, email or id" className="flex-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" />
        <button type="submit" className={buttonClass("primary")}>Find</button>
      </form>
      <CreditsHomeSection actor={actor} />
      <InvoicesHomeCard actor={actor} />
      <OperationsHomeCard actor={actor} />
      <section aria-labelledby="customers-heading">
        <h2 id="customers-heading" className="mb-2 text-base font-semibold">Customers</h2>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-6">
          <div className="rounded-lg border border-slate-200 bg-white p-3">
            <dt className="text-xs text-slate-500">All</dt>
            <dd className="tabular text-lg font-semibold"><Link href="/customers">{totalCustomers.toLocaleString("en-US")}</Link></dd>
          </div>
          {(["active", "trialing", "past_due", "suspended", "churned"] as const).map((s) => (
            <div key={s} className="rounded-lg border border-slate-200 bg-white p-3">
              <dt className="text-xs text-slate-500">{s.replace("_", " ")}</dt>
              <dd className="tabular text-lg font-semibold"><Link href={`/customers?status=${s}`}>{(byStatus[s] ?? 0).toLocaleString("en-US")}</Link></dd>
            </div>
          ))}
        </dl>
      </section>
      {recent ? (
        <section aria-labelledby="recent-heading" className="space-y-2">
          <div className="flex items-center justify-between">
            <h2 id="recent-heading" className="text-base font-semibold">Recent activity</h2>
            <Link href="/audit" className="text-sm text-indigo-700 underline">Full audit log</Link>
          </div>
          {recent.rows.length ? <AuditTable rows={recent.rows} caption="The ten latest audit events" /> : <p className="text-sm text-slate-600">Nothing has happened yet.</p>}
        </section>
      ) : null}
    </div>
  );
}
