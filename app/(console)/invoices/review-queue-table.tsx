"use client";

import { Fragment, useState } from "react";
import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { holdInvoiceAction, markInvoicesReviewedAction } from "@/lib/actions/invoices";
import { Money } from "@/components/ui/money";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DateTime } from "@/components/ui/date-time";
import { SortTh, Table, Td, Th } from "@/components/ui/table";
import type { SearchParams } from "@/lib/url";
import type { ReviewQueueRow } from "@/lib/server/queries/review-queue";

const FLAG_LABELS: Record<string, string> = {
  total_above_last_invoice: "Total ≫ last",
  credits_above_charges: "Credits > charges",
  zero_invoice_with_usage: "Zero with usage",
  negative_line: "Negative line",
  missing_usage_days: "Missing days",
  usage_spike: "Usage spike",
  shadow_mismatch: "Shadow mismatch",
  provider_unavailable: "Provider unavailable",
};

const statusTone = { unreviewed: "neutral", reviewed: "good", held: "warn" } as const;

export function ReviewQueueTable({ rows, params, sort, dir, canReview }: {
  rows: ReviewQueueRow[]; params: SearchParams; sort: string; dir: "asc" | "desc"; canReview: boolean;
}) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [holding, setHolding] = useState<string | null>(null);
  const bulk = useAction(markInvoicesReviewedAction, { onSuccess: () => setSelected(new Set()) });
  const sortProps = { path: "/invoices", params, sort, dir };
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.customerId));
  const toggle = (id: string, on: boolean) => setSelected((s) => { const n = new Set(s); if (on) n.add(id); else n.delete(id); return n; });

  return (
    <div className="space-y-2">
      {canReview ? (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <Button variant="secondary" disabled={selected.size === 0 || bulk.isPending} onClick={() => bulk.execute({ customerIds: [...selected] })}>
            {bulk.isPending ? "Marking…" : `Mark ${selected.size} reviewed`}
          </Button>
          <p role="status" aria-live="polite" className="text-xs">
            {bulk.result.serverError ? <span className="text-red-700">{bulk.result.serverError.message}</span> : null}
            {bulk.result.validationErrors ? <span className="text-red-700">Select at least one invoice.</span> : null}
            {bulk.result.data ? (
              <span className="text-emerald-800">
                Marked {bulk.result.data.customerIds.length} invoice(s) reviewed.{" "}
                <Link className="underline" href="/audit?action=invoice.reviewed">Audit events #{bulk.result.data.auditIds.join(", #")}</Link>
              </span>
            ) : null}
          </p>
        </div>
      ) : null}
      <Table caption={`Upcoming invoices to review, sorted by ${sort} ${dir === "asc" ? "ascending" : "descending"}`}>
        <thead>
          <tr>
            {canReview ? (
              <Th>
                <input type="checkbox" aria-label="Select all invoices on this page" checked={allSelected}
                  onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((r) => r.customerId)) : new Set())} />
              </Th>
            ) : null}
            <SortTh label="Customer" column="customer" {...sortProps} />
            <SortTh label="Plan" column="plan" {...sortProps} />
            <SortTh label="Subtotal" column="subtotal" align="right" {...sortProps} />
            <SortTh label="Credits applied" column="credits" align="right" {...sortProps} />
            <SortTh label="Total" column="total" align="right" {...sortProps} />
            <SortTh label="Change vs last" column="change" align="right" {...sortProps} />
            <SortTh label="Change %" column="change_pct" align="right" {...sortProps} />
            <SortTh label="Flags" column="flags" {...sortProps} />
            <SortTh label="Review" column="status" {...sortProps} />
            {canReview ? <Th><span className="sr-only">Actions</span></Th> : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((r) => (
            <Fragment key={r.customerId}>
              <tr className={selected.has(r.customerId) ? "bg-indigo-50/50" : "hover:bg-slate-50"}>
                {canReview ? (
                  <Td>
                    <input type="checkbox" aria-label={`Select ${r.customerName}`} checked={selected.has(r.customerId)} onChange={(e) => toggle(r.customerId, e.target.checked)} />
                  </Td>
                ) : null}
                <Td>
                  <Link className="font-medium text-indigo-800 hover:underline" href={`/customers/${r.customerId}/invoices`}>{r.customerName}</Link>
                  {r.stale ? <div><Badge tone="warn">stale</Badge> <span className="sr-only">newer usage or credits arrived after this preview was computed</span></div> : null}
                </Td>
                <Td>{r.planName ?? <span className="text-slate-400">none</span>}</Td>
                <Td align="right"><Money minor={r.subtotalMinor} currency={r.currency} /></Td>
                <Td align="right"><Money minor={(-BigInt(r.creditsMinor)).toString()} currency={r.currency} /></Td>
                <Td align="right" className="font-medium"><Money minor={r.totalMinor} currency={r.currency} /></Td>
                <Td align="right">{r.changeMinor === null ? <span className="text-slate-400">no last invoice</span> : <Money minor={r.changeMinor} currency={r.currency} />}</Td>
                <Td align="right" className="tabular">{r.changePct === null ? "—" : `${r.changePct.startsWith("-") ? "" : "+"}${r.changePct}%`}</Td>
                <Td>
                  <ul className="flex flex-wrap gap-1">
                    {r.flags.length === 0 ? <li className="text-slate-400">none</li> : r.flags.map((f) => <li key={f}><Badge tone={f === "shadow_mismatch" ? "bad" : "warn"}>{FLAG_LABELS[f] ?? f}</Badge></li>)}
                  </ul>
                </Td>
                <Td>
                  <Badge tone={statusTone[r.status]}>{r.status}</Badge>
                  {r.reviewer ? (
                    <div className="text-xs text-slate-600">
                      {r.reviewer}{r.reviewedAt ? <>, <DateTime iso={r.reviewedAt} /></> : null}
                      {r.note ? <div className="max-w-56 truncate" title={r.note}>“{r.note}”</div> : null}
                    </div>
                  ) : null}
                </Td>
                {canReview ? (
                  <Td>
                    <Button variant="ghost" aria-expanded={holding === r.customerId} aria-label={`Hold the invoice of ${r.customerName}`} onClick={() => setHolding(holding === r.customerId ? null : r.customerId)}>
                      Hold
                    </Button>
                  </Td>
                ) : null}
              </tr>
              {holding === r.customerId ? (
                <tr>
                  <td colSpan={canReview ? 11 : 9} className="bg-amber-50/60 px-3 py-2">
                    <HoldForm row={r} onDone={() => setHolding(null)} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </Table>
    </div>
  );
}

function HoldForm({ row, onDone }: { row: ReviewQueueRow; onDone: () => void }) {
  const [note, setNote] = useState(row.status === "held" ? row.note ?? "" : "");
  const { execute, result, isPending } = useAction(holdInvoiceAction);
  const id = `hold-note-${row.customerId}`;
  const validation = result.validationErrors as Record<string, { _errors?: string[] }> | undefined;
  const noteError = validation?.note?._errors?.[0] ?? result.serverError?.fieldErrors?.note;
  const serverError = result.serverError && !result.serverError.fieldErrors ? result.serverError.message : null;
  return (
    <form
      aria-label={`Hold the invoice of ${row.customerName}`}
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        execute({ customerId: row.customerId, note });
      }}
    >
      <div className="min-w-80 flex-1">
        <label htmlFor={id} className="mb-1 block text-xs font-medium text-slate-700">Why hold the invoice of {row.customerName}? (required)</label>
        <input id={id} value={note} onChange={(e) => setNote(e.target.value)} required aria-invalid={noteError ? true : undefined}
          aria-describedby={noteError ? `${id}-error` : undefined} autoFocus className="block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm" />
        {noteError ? <p id={`${id}-error`} className="mt-1 text-xs text-red-700">{noteError}</p> : null}
      </div>
      <Button type="submit" disabled={isPending}>{isPending ? "Holding…" : "Hold invoice"}</Button>
      <Button variant="ghost" onClick={onDone}>Cancel</Button>
      <p role="status" aria-live="polite" className="w-full text-xs">
        {serverError ? <span className="text-red-700">{serverError}</span> : null}
        {result.data ? (
          <span className="text-emerald-800">
            Held the invoice of {row.customerName}.{" "}
            <Link className="underline" href={`/audit?event=${result.data.auditIds[0]}`}>Audit event #{result.data.auditIds[0]}</Link>{" · "}
            <Link className="underline" href={`/customers/${row.customerId}/activity`}>Activity tab</Link>
          </span>
        ) : null}
      </p>
    </form>
  );
}
