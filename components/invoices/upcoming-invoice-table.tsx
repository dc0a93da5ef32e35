import { formatPeriodLabel } from "@/lib/billing/period";
import { Money } from "@/components/ui/money";
import { DateTime } from "@/components/ui/date-time";
import { Table, Td, Th } from "@/components/ui/table";
import type { UpcomingInvoiceDto, UpcomingInvoiceLineDto } from "./types";

const kindLabels: Record<UpcomingInvoiceLineDto["kind"], string> = {
  base: "Base fee",
  usage: "Usage",
  proration: "Proration",
  minimum: "Minimum top-up",
  credit: "Credit applied",
  adjustment: "Adjustment",
};

export function upcomingPeriodLabel(invoice: Pick<UpcomingInvoiceDto, "periodStart" | "periodEnd">, withYear = true): string {
  return formatPeriodLabel({ start: new Date(invoice.periodStart), end: new Date(invoice.periodEnd) }, { withYear });
}

function LineRow({ line, currency }: { line: UpcomingInvoiceLineDto; currency: string }) {
  return (
    <tr>
      <Td>
        <span>{line.description}</span>
        {line.breakdown.length > 0 ? (
          <details className="mt-1 text-xs text-slate-600">
            <summary className="cursor-pointer text-indigo-800">Tier breakdown<span className="sr-only"> of {line.description}</span></summary>
            <table className="mt-1 min-w-[20rem] text-xs">
              <caption className="sr-only">How {line.description} is priced</caption>
              <thead>
                <tr>
                  <th scope="col" className="pr-3 text-left font-medium">Tier</th>
                  <th scope="col" className="pr-3 text-right font-medium">Quantity</th>
                  <th scope="col" className="pr-3 text-right font-medium">Unit price</th>
                  <th scope="col" className="text-right font-medium">Amount</th>
                </tr>
              </thead>
              <tbody>
                {line.breakdown.map((b, i) => (
                  <tr key={`${b.label}-${i}`}>
                    <td className="pr-3">{b.label}</td>
                    <td className="tabular pr-3 text-right">{b.quantity}</td>
                    <td className="tabular pr-3 text-right">{b.unitPrice}</td>
                    <td className="tabular text-right">{b.amount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="mt-1">Amounts in the breakdown are exact; the line is rounded once, to the cent.</p>
          </details>
        ) : null}
      </Td>
      <Td className="text-slate-600">{kindLabels[line.kind]}</Td>
      <Td align="right" className="tabular">{line.quantity ?? ""}</Td>
      <Td align="right"><Money minor={line.amountMinor} currency={currency} /></Td>
    </tr>
  );
}

/** An upcoming invoice line by line: base, usage per meter (with tiers), proration, minimum, credits; then the totals. */
export function UpcomingInvoiceTable({ invoice, caption }: { invoice: UpcomingInvoiceDto; caption: string }) {
  const credits = -BigInt(invoice.creditsAppliedMinor);
  return (
    <Table caption={caption}>
      <thead>
        <tr>
          <Th>Description</Th>
          <Th>Kind</Th>
          <Th align="right">Quantity</Th>
          <Th align="right">Amount</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {invoice.lines.length === 0 ? (
          <tr><Td colSpan={4} className="text-slate-600">No charges in this period yet.</Td></tr>
        ) : (
          invoice.lines.map((line, i) => <LineRow key={`${line.kind}-${line.meterKey ?? ""}-${i}`} line={line} currency={invoice.currency} />)
        )}
      </tbody>
      <tfoot className="border-t border-slate-300">
        <tr>
          <Td colSpan={3} align="right">Subtotal</Td>
          <Td align="right"><Money minor={invoice.subtotalMinor} currency={invoice.currency} /></Td>
        </tr>
        <tr>
          <Td colSpan={3} align="right">Credits</Td>
          <Td align="right"><Money minor={credits} currency={invoice.currency} /></Td>
        </tr>
        <tr className="font-semibold">
          <Td colSpan={3} align="right">Total</Td>
          <Td align="right"><Money minor={invoice.totalMinor} currency={invoice.currency} /></Td>
        </tr>
      </tfoot>
    </Table>
  );
}

export function UpcomingInvoiceMeta({ invoice }: { invoice: UpcomingInvoiceDto }) {
  return (
    <p className="text-xs text-slate-600">
      Period <span className="font-medium text-slate-800">{upcomingPeriodLabel(invoice)}</span> (from {invoice.periodStart.slice(0, 16).replace("T", " ")} UTC up to, not including,{" "}
      {invoice.periodEnd.slice(0, 16).replace("T", " ")} UTC) · as of <DateTime iso={invoice.asOf} />
    </p>
  );
}
