import { getUpcomingInvoice } from "@/lib/server/queries/upcoming-invoice";
import { providerLabels } from "@/lib/providers/links";
import { UpcomingInvoiceMeta, UpcomingInvoiceTable } from "./upcoming-invoice-table";

/** The Invoices tab's "Upcoming invoice", from the billing provider; a failure is a message, not an error page. */
export async function UpcomingInvoiceSection({ customerId }: { customerId: string }) {
  const result = await getUpcomingInvoice(customerId);
  return (
    <section aria-labelledby="upcoming-invoice" className="space-y-2">
      <h2 id="upcoming-invoice" className="text-base font-semibold">Upcoming invoice</h2>
      {result.state === "ok" ? (
        <>
          <UpcomingInvoiceMeta invoice={result.invoice} />
          <p className="text-xs text-slate-500">As the billing provider ({providerLabels[result.provider] ?? result.provider}) computes it now; usage still to come this period is not included.</p>
          <UpcomingInvoiceTable invoice={result.invoice} caption="Upcoming invoice, line by line" />
        </>
      ) : result.state === "none" ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm text-slate-600">{result.message}</p>
      ) : (
        <p role="alert" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">{result.message}</p>
      )}
    </section>
  );
}

export function UpcomingInvoiceLoading() {
  return (
    <section aria-labelledby="upcoming-invoice-loading" aria-busy="true" className="space-y-2">
      <h2 id="upcoming-invoice-loading" className="text-base font-semibold">Upcoming invoice</h2>
      <p role="status" className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600">Loading the upcoming invoice from the billing provider…</p>
    </section>
  );
}
