import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { UpcomingInvoiceLoading, UpcomingInvoiceSection } from "@/components/invoices/upcoming-invoice-section";
import { PreviewFlags } from "@/components/invoices/preview-flags";
import { requirePagePermission } from "@/lib/server/session";
import { listCustomerInvoices } from "@/lib/server/queries/invoices";
import { customerIdFromParams } from "@/lib/server/queries/customers";
import { formatPeriodLabel } from "@/lib/billing/period";
import { Money } from "@/components/ui/money";
import { Badge } from "@/components/ui/badge";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState, Pagination, Table, Td, Th } from "@/components/ui/table";
import { hrefWith, param, type SearchParams } from "@/lib/url";
import { z } from "zod";

export const metadata: Metadata = { title: "Invoices" };

const statusTone = { paid: "good", issued: "info", draft: "neutral", void: "bad" } as const;

function periodLabel(start: string, end: string) {
  return formatPeriodLabel({ start: new Date(start), end: new Date(end) }, { withYear: true });
}

export default async function CustomerInvoicesPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  await requirePagePermission("customers.view");
  const id = await customerIdFromParams(params);
  const sp = await searchParams;
  const page = z.coerce.number().int().min(1).max(10_000).catch(1).parse(param(sp, "page"));
  const { rows, total } = await listCustomerInvoices(id, page);
  const path = `/customers/${id}/invoices`;
  const selected = rows.find((r) => r.id === param(sp, "invoice")) ?? rows[0];

  // The provider's preview streams in on its own: a slow or failing provider never holds up past invoices.
  const upcoming = (
    <Suspense fallback={<UpcomingInvoiceLoading />}>
      <UpcomingInvoiceSection customerId={id} />
    </Suspense>
  );

  if (total === 0) {
    return (
      <div className="space-y-6">
        {upcoming}
        <PreviewFlags customerId={id} />
        <EmptyState title="No invoices yet">Invoices appear here once the first billing period closes.</EmptyState>
      </div>
    );
  }

  return (
    <div className="space-y-6">
      {upcoming}
      <PreviewFlags customerId={id} />
      <section aria-labelledby="past-invoices">
        <h2 id="past-invoices" className="mb-2 text-base font-semibold">Past invoices</h2>
        <p className="mb-2 text-xs text-slate-500">Billing periods are half-open: a period labelled “Nov 1 – Nov 30” starts at Nov 1 00:00 UTC and ends just before Dec 1 00:00 UTC.</p>
        <Table caption="Past invoices, newest first">
          <thead>
            <tr>
              <Th>Invoice</Th>
              <Th>Period</Th>
              <Th>Status</Th>
              <Th>Issued</Th>
              <Th align="right">Subtotal</Th>
              <Th align="right">Credits applied</Th>
              <Th align="right">Total</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((inv) => (
              <tr key={inv.id} className={inv.id === selected?.id ? "bg-indigo-50/50" : ""}>
                <Td>
                  <Link href={hrefWith(path, sp, { invoice: inv.id })} aria-current={inv.id === selected?.id ? "true" : undefined} className="font-mono text-xs text-indigo-800 hover:underline">
                    {inv.number}
                  </Link>
                </Td>
                <Td>{periodLabel(inv.periodStart, inv.periodEnd)}</Td>
                <Td><Badge tone={statusTone[inv.status as keyof typeof statusTone] ?? "neutral"}>{inv.status}</Badge></Td>
                <Td>{inv.issuedAt ? <DateTime iso={inv.issuedAt} dateOnly /> : "—"}</Td>
                <Td align="right"><Money minor={inv.subtotalMinor} currency={inv.currency} /></Td>
                <Td align="right"><Money minor={(-BigInt(inv.creditsAppliedMinor)).toString()} currency={inv.currency} /></Td>
                <Td align="right" className="font-medium"><Money minor={inv.totalMinor} currency={inv.currency} /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
        <Pagination path={path} params={{ ...sp, invoice: undefined }} page={page} pageSize={12} total={total} noun="invoices" />
      </section>

      {selected ? (
        <section aria-labelledby="invoice-lines">
          <h2 id="invoice-lines" className="mb-2 text-base font-semibold">
            Lines of {selected.number} <span className="font-normal text-slate-600">({periodLabel(selected.periodStart, selected.periodEnd)})</span>
          </h2>
          <Table caption={`Lines of invoice ${selected.number}`}>
            <thead>
              <tr>
                <Th>Description</Th>
                <Th>Kind</Th>
                <Th align="right">Quantity</Th>
                <Th align="right">Unit price</Th>
                <Th align="right">Amount</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {selected.lines.map((line) => (
                <tr key={line.id}>
                  <Td>{line.description}</Td>
                  <Td className="text-slate-600">{line.kind}</Td>
                  <Td align="right" className="tabular">{line.quantity ?? ""}</Td>
                  <Td align="right" className="tabular">{line.unitPrice ?? ""}</Td>
                  <Td align="right"><Money minor={line.amountMinor} currency={selected.currency} /></Td>
                </tr>
              ))}
            </tbody>
            <tfoot className="border-t border-slate-300 font-medium">
              <tr>
                <Td colSpan={4} align="right">Total</Td>
                <Td align="right"><Money minor={selected.totalMinor} currency={selected.currency} /></Td>
              </tr>
            </tfoot>
          </Table>
        </section>
      ) : null}
    </div>
  );
}
