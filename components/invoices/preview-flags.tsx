// "Flags explained": the customer's latest review-queue snapshot — each anomaly flag with what the
// rule checks, and for a shadow mismatch the lines where the provider and Meterdesk differ.
import Link from "next/link";
import { getCustomerPreviewFlags } from "@/lib/server/queries/review-queue";
import { formatPeriodLabel } from "@/lib/billing/period";
import { Money } from "@/components/ui/money";
import { Badge } from "@/components/ui/badge";
import { DateTime } from "@/components/ui/date-time";
import { Table, Td, Th } from "@/components/ui/table";
import type { UpcomingInvoiceDto } from "./types";

type Delta = { key: string; oursMinor: string; theirsMinor: string; deltaMinor: string };

function describe(key: string, previews: UpcomingInvoiceDto[]): string {
  if (key === "total") return "Total";
  // Shadow billing compares fixed charges together and credits as applied (anomaly-check.ts).
  if (key === "fixed") return "Fixed charges (base fee, proration, minimum, adjustments)";
  if (key === "credits") return "Credits applied";
  const [kind, meterKey] = key.split(":");
  for (const p of previews) {
    const line = p.lines.find((l) => l.kind === kind && (l.meterKey ?? undefined) === meterKey);
    if (line) return line.description;
  }
  return key;
}

export async function PreviewFlags({ customerId }: { customerId: string }) {
  const snapshot = await getCustomerPreviewFlags(customerId);
  if (!snapshot) return null;
  const provider = "error" in snapshot.provider ? null : snapshot.provider;
  const previews = [snapshot.shadow, ...(provider ? [provider] : [])];
  const period = formatPeriodLabel({ start: new Date(snapshot.periodStart), end: new Date(snapshot.periodEnd) }, { withYear: true });

  return (
    <section aria-labelledby="preview-flags" className="space-y-2 rounded-lg border border-slate-200 bg-white p-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="preview-flags" className="text-base font-semibold">Review flags for {period}</h2>
        <p className="text-xs text-slate-600">
          Computed <DateTime iso={snapshot.computedAt} />
          {snapshot.stale ? <> · <Badge tone="warn">stale</Badge> newer usage or credits arrived since; recompute to refresh</> : null}
          {" · "}
          {snapshot.review ? (
            <>
              <Badge tone={snapshot.review.status === "held" ? "warn" : snapshot.review.status === "reviewed" ? "good" : "neutral"}>{snapshot.review.status}</Badge>
              {snapshot.review.reviewer ? <> by {snapshot.review.reviewer}</> : null}
              {snapshot.review.reviewedAt ? <>, <DateTime iso={snapshot.review.reviewedAt} /></> : null}
              {snapshot.review.note ? <> — “{snapshot.review.note}”</> : null}
            </>
          ) : (
            <Badge>unreviewed</Badge>
          )}
          {" · "}
          <Link className="text-indigo-700 underline" href="/invoices">Review queue</Link>
        </p>
      </div>
      {snapshot.flags.length === 0 ? (
        <p className="text-sm text-slate-700">No anomaly flags: the provider&apos;s preview agrees with Meterdesk&apos;s own computation to the cent, and no rule fired.</p>
      ) : (
        <ul className="space-y-3">
          {snapshot.flags.map((f) => (
            <li key={f.code} className="space-y-1">
              <p className="text-sm">
                <Badge tone={f.code === "shadow_mismatch" ? "bad" : "warn"}>{f.title}</Badge> <span>{f.message}</span>
              </p>
              <p className="text-xs text-slate-600">Rule: {f.explain}</p>
              {f.code === "shadow_mismatch" && (f.details as { deltas?: Delta[] }).deltas?.length ? (
                <Table caption="Lines where the provider's preview differs from Meterdesk's">
                  <thead>
                    <tr>
                      <Th>Line</Th>
                      <Th align="right">Meterdesk</Th>
                      <Th align="right">Provider</Th>
                      <Th align="right">Difference (provider − Meterdesk)</Th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {(f.details as { deltas: Delta[] }).deltas.map((d) => (
                      <tr key={d.key}>
                        <Td>{describe(d.key, previews)} <span className="font-mono text-xs text-slate-500">{d.key}</span></Td>
                        <Td align="right"><Money minor={d.oursMinor} currency={snapshot.currency} /></Td>
                        <Td align="right"><Money minor={d.theirsMinor} currency={snapshot.currency} /></Td>
                        <Td align="right" className="font-medium">{BigInt(d.deltaMinor) > 0n ? "+" : ""}<Money minor={d.deltaMinor} currency={snapshot.currency} /></Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {"error" in snapshot.provider ? <p className="text-xs text-red-700">The provider&apos;s preview could not be fetched at the last recompute: {snapshot.provider.error}</p> : null}
    </section>
  );
}
