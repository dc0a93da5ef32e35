import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { customerFilterOptions, customerListQuerySchema, searchCustomers } from "@/lib/server/queries/customers";
import { Badge, customerStatusTone } from "@/components/ui/badge";
import { EmptyState, Pagination, SortTh, Table, Td, Th } from "@/components/ui/table";
import { DateTime } from "@/components/ui/date-time";
import { param, type SearchParams } from "@/lib/url";
import { CustomerFilters } from "./customer-filters";

export const metadata: Metadata = { title: "Customers" };

export default async function CustomersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePagePermission("customers.view");
  const params = await searchParams;
  const query = customerListQuerySchema.parse(Object.fromEntries(Object.keys(params).map((k) => [k, param(params, k)])));
  const [{ rows, total }, options] = await Promise.all([searchCustomers(query), customerFilterOptions()]);
  const filtered = Boolean(query.q || query.plan || query.status || query.provider || query.region);
  const sortProps = { path: "/customers", params, sort: query.sort, dir: query.dir };

  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold">Customers</h1>
      <CustomerFilters query={query} options={options} autoFocus={param(params, "focus") === "search"} />
      {rows.length === 0 ? (
        <EmptyState title={filtered ? "No customers match these filters" : "No customers yet"}>
          {filtered ? <Link className="text-indigo-700 underline" href="/customers">Clear filters</Link> : "Customers appear here once the platform syncs them."}
        </EmptyState>
      ) : (
        <Table caption={`Customers, sorted by ${query.sort} ${query.dir === "asc" ? "ascending" : "descending"}`}>
          <thead>
            <tr>
              <SortTh label="Name" column="name" {...sortProps} />
              <Th>Email</Th>
              <Th>Platform id</Th>
              <SortTh label="Plan" column="plan" {...sortProps} />
              <SortTh label="Status" column="status" {...sortProps} />
              <SortTh label="Region" column="region" {...sortProps} />
              <Th>Provider id</Th>
              <SortTh label="Customer since" column="created" {...sortProps} />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((c) => (
              <tr key={c.id} className="hover:bg-slate-50">
                <Td><Link className="font-medium text-indigo-800 hover:underline" href={`/customers/${c.id}`}>{c.name}</Link></Td>
                <Td className="text-slate-600">{c.email}</Td>
                <Td className="font-mono text-xs">{c.platformId}</Td>
                <Td>{c.planName ?? <span className="text-slate-400">none</span>}</Td>
                <Td><Badge tone={customerStatusTone[c.status]}>{c.status.replace("_", " ")}</Badge></Td>
                <Td>{c.region}</Td>
                <Td className="font-mono text-xs">{c.providerCustomerId ?? "—"}</Td>
                <Td><DateTime iso={c.createdAt} dateOnly /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <Pagination path="/customers" params={params} page={query.page} pageSize={query.pageSize} total={total} noun="customers" />
    </div>
  );
}
