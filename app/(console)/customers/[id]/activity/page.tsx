import type { Metadata } from "next";
import { z } from "zod";
import { requirePagePermission } from "@/lib/server/session";
import { searchAudit } from "@/lib/server/queries/audit";
import { customerIdFromParams } from "@/lib/server/queries/customers";
import { AuditTable } from "@/components/audit/audit-table";
import { EmptyState, Pagination } from "@/components/ui/table";
import { param, type SearchParams } from "@/lib/url";

export const metadata: Metadata = { title: "Activity" };

export default async function CustomerActivityPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  // A customer's own trail is part of viewing the customer; the full log needs audit.view.
  await requirePagePermission("customers.view");
  const id = await customerIdFromParams(params);
  const sp = await searchParams;
  const page = z.coerce.number().int().min(1).max(10_000).catch(1).parse(param(sp, "page"));
  const { rows, total } = await searchAudit({ customerId: id, page, pageSize: 50 });
  if (total === 0) return <EmptyState title="No activity yet">Credits, plan changes and other actions on this customer will be listed here.</EmptyState>;
  return (
    <section aria-labelledby="activity-heading" className="space-y-2">
      <h2 id="activity-heading" className="text-base font-semibold">Activity</h2>
      <AuditTable rows={rows} caption="This customer's audit trail, newest first" showCustomer={false} />
      <Pagination path={`/customers/${id}/activity`} params={sp} page={page} pageSize={50} total={total} noun="events" />
    </section>
  );
}
