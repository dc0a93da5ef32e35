"use client";

import Link from "next/link";
import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { changePlanAction, previewPlanChangeAction } from "@/lib/actions/plan";
import type { PlanOptionDto } from "@/lib/server/queries/plans-for-customer";
import type { PlanChangePreview, PlanChangeTiming } from "@/lib/server/services/preview-plan-change";
import type { ActionError } from "@/lib/server/action-client";
import { formatMoney } from "@/lib/billing/money";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { Money } from "@/components/ui/money";
import { Table, Td, Th } from "@/components/ui/table";
import { UpcomingInvoiceMeta, UpcomingInvoiceTable } from "@/components/invoices/upcoming-invoice-table";

type Props = {
  customerId: string;
  customerName: string;
  currency: string;
  currentPlanId: string;
  periodEnd: string;
  minDate: string;
  maxDate: string;
  options: PlanOptionDto[];
  hasScheduled: boolean;
};

type ResultLike = { validationErrors?: unknown; serverError?: ActionError };

function fieldError(result: ResultLike, name: string): string | undefined {
  const v = result.validationErrors as Record<string, { _errors?: string[] }> | undefined;
  return v?.[name]?._errors?.[0] ?? result.serverError?.fieldErrors?.[name];
}

const signed = (minor: string, currency: string) => {
  const n = BigInt(minor);
  return `${n < BigInt(0) ? "−" : "+"}${formatMoney({ amountMinor: n < BigInt(0) ? -n : n, currency })}`;
};
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function effectLabel(p: PlanChangePreview): string {
  if (p.timing === "immediate") return `now (${utc(p.effectiveAt)})`;
  if (p.timing === "period_end") return `at the end of this period (${utc(p.effectiveAt)})`;
  return `on ${utc(p.effectiveAt)}`;
}

function PreviewPanel({ preview }: { preview: PlanChangePreview }) {
  const c = preview.currency;
  return (
    <div className="space-y-4">
      <p className="text-sm">
        Change <strong>{preview.customerName}</strong> from <strong>{preview.from.planName}</strong> (v{preview.from.version}) to{" "}
        <strong>{preview.to.planName}</strong> (v{preview.to.version}), effective {effectLabel(preview)}.
      </p>
      {preview.prorationLines.length > 0 ? (
        <Table caption={`Proration on the invoice for ${preview.prorationPeriod.label}`} captionHidden={false}>
          <thead>
            <tr>
              <Th>Line</Th>
              <Th align="right">Share of period</Th>
              <Th align="right">Amount</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {preview.prorationLines.map((l) => (
              <tr key={l.description}>
                <Td>{l.description}</Td>
                <Td align="right" className="tabular">{(Number(l.fraction) * 100).toFixed(2)}%</Td>
                <Td align="right"><Money minor={l.amountMinor} currency={c} /></Td>
              </tr>
            ))}
          </tbody>
          <tfoot className="border-t border-slate-300 font-medium">
            <tr>
              <Td colSpan={2} align="right">Net proration</Td>
              <Td align="right"><Money minor={preview.prorationNetMinor} currency={c} /></Td>
            </tr>
          </tfoot>
        </Table>
      ) : (
        <p className="text-sm text-slate-600">No proration: the change lands on a period boundary (or the base fees are equal), so each period is billed on one plan’s base fee.</p>
      )}
      {preview.affectsCurrentPeriod ? (
        <div className="space-y-2">
          <Table caption="Upcoming invoice for this period, today and with the change" captionHidden={false}>
            <thead>
              <tr>
                <Th>Upcoming invoice</Th>
                <Th align="right">Total</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              <tr><Td>Today, on {preview.from.planName}</Td><Td align="right"><Money minor={preview.currentInvoice.totalMinor} currency={c} /></Td></tr>
              <tr><Td>With the change to {preview.to.planName}</Td><Td align="right"><Money minor={preview.newInvoice.totalMinor} currency={c} /></Td></tr>
            </tbody>
            <tfoot className="border-t border-slate-300 font-medium">
              <tr><Td>Difference</Td><Td align="right"><Money minor={preview.differenceMinor} currency={c} /></Td></tr>
            </tfoot>
          </Table>
          <details className="text-sm">
            <summary className="cursor-pointer text-indigo-800">The new upcoming invoice, line by line</summary>
            <div className="mt-2 space-y-1">
              <UpcomingInvoiceMeta invoice={preview.newInvoice} />
              <UpcomingInvoiceTable invoice={preview.newInvoice} caption="Upcoming invoice with the change" />
            </div>
          </details>
          <p className="text-xs text-slate-500">Computed by Meterdesk from its own usage and credit ledger; usage is priced by the plan in force on the day it happened.</p>
        </div>
      ) : (
        <p className="text-sm text-slate-600">
          This period’s upcoming invoice is unchanged (<Money minor={preview.currentInvoice.totalMinor} currency={c} />). From {utc(preview.effectiveAt)} the base fee becomes{" "}
          <Money minor={preview.to.baseFeeMinor} currency={c} /> per period{preview.prorationLines.length > 0 ? `, with the proration above on the invoice for ${preview.prorationPeriod.label}` : ""}.
        </p>
      )}
    </div>
  );
}

export function PlanChangeForm(props: Props) {
  const { customerId, currency } = props;
  const choices = props.options.filter((o) => o.planId !== props.currentPlanId);
  const [toPlanId, setToPlanId] = useState("");
  const [timing, setTiming] = useState<PlanChangeTiming>("immediate");
  const [date, setDate] = useState("");
  const [preview, setPreview] = useState<PlanChangePreview | null>(null);
  const [requestId, setRequestId] = useState("");

  const previewAction = useAction(previewPlanChangeAction, {
    onSuccess: ({ data }) => {
      if (!data) return;
      setPreview(data);
      setRequestId(crypto.randomUUID());
      changeAction.reset();
    },
  });
  const changeAction = useAction(changePlanAction, {
    onSuccess: () => {
      setPreview(null);
      setToPlanId("");
      setTiming("immediate");
      setDate("");
    },
  });
  const edit = () => {
    setPreview(null);
    previewAction.reset();
  };
  const prev = previewAction.result as ResultLike;
  const outcome = changeAction.result.data;
  const confirmError = (changeAction.result as ResultLike).serverError?.message;
  const previewError = prev.serverError && !prev.serverError.fieldErrors ? prev.serverError.message : undefined;

  return (
    <section aria-labelledby="change-plan" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="change-plan" className="text-base font-semibold">Change plan</h2>
      {props.hasScheduled ? <p className="text-sm text-amber-900">A change is already scheduled; cancel it above before making another.</p> : null}
      <form
        aria-label="Change plan"
        className="grid gap-3 sm:grid-cols-3"
        onSubmit={(e) => {
          e.preventDefault();
          setPreview(null);
          previewAction.execute({ customerId, toPlanId, timing, date: timing === "on_date" ? date : null });
        }}
      >
        <SelectField id="plan-target" label="New plan" value={toPlanId} onChange={(e) => { setToPlanId(e.target.value); edit(); }} error={fieldError(prev, "toPlanId")} hint={`Active plans priced in ${currency}.`}>
          <option value="">Choose a plan…</option>
          {choices.map((o) => (
            <option key={o.planId} value={o.planId}>
              {o.name} — {formatMoney({ amountMinor: BigInt(o.baseFeeMinor), currency })} per period (v{o.version})
            </option>
          ))}
        </SelectField>
        <fieldset aria-describedby={fieldError(prev, "timing") ? "plan-timing-error" : undefined}>
          <legend className="mb-1 block text-xs font-medium text-slate-700">Takes effect</legend>
          {([
            ["immediate", "Now (prorated)"],
            ["period_end", `At period end (${props.periodEnd.slice(0, 10)})`],
            ["on_date", "On a date"],
          ] as const).map(([value, label]) => (
            <label key={value} className="flex items-center gap-2 text-sm">
              <input type="radio" name="plan-timing" value={value} checked={timing === value} onChange={() => { setTiming(value); edit(); }} />
              {label}
            </label>
          ))}
          {fieldError(prev, "timing") ? <p id="plan-timing-error" className="mt-1 text-xs text-red-700">{fieldError(prev, "timing")}</p> : null}
        </fieldset>
        {timing === "on_date" ? (
          <TextField
            id="plan-date"
            label="Effective date (00:00 UTC)"
            type="date"
            min={props.minDate}
            max={props.maxDate}
            value={date}
            onChange={(e) => { setDate(e.target.value); edit(); }}
            error={fieldError(prev, "date")}
            hint="A date inside the current period prorates at that instant."
          />
        ) : <div />}
        <div className="sm:col-span-3">
          <Button type="submit" variant="secondary" disabled={previewAction.isPending}>{previewAction.isPending ? "Computing preview…" : "Preview change"}</Button>
        </div>
      </form>
      <div role="status" aria-live="polite" className="text-sm">
        {previewError ? <p className="text-red-700">{previewError}</p> : null}
        {confirmError ? <p className="text-red-700">{confirmError}</p> : null}
        {outcome ? (
          <p className="rounded border border-emerald-300 bg-emerald-50 p-3 text-emerald-900">
            {outcome.message}.{" "}
            <Link className="underline" href={outcome.auditHref}>View the audit event{outcome.auditEventId ? ` #${outcome.auditEventId}` : ""}</Link>
            {" · "}
            <Link className="underline" href={outcome.activityHref}>Activity</Link>
            {outcome.replayed ? " (this form had already made the change; nothing new was written)" : ""}
            {" "}The billing provider is updated in the background; the history shows when it confirms.
          </p>
        ) : null}
      </div>
      {preview ? (
        <section aria-labelledby="plan-preview" className="space-y-3 border-t border-slate-200 pt-3">
          <h3 id="plan-preview" className="text-sm font-semibold">Preview</h3>
          <PreviewPanel preview={preview} />
          <div className="flex flex-wrap items-center gap-2">
            <Button
              variant="primary"
              disabled={changeAction.isPending}
              onClick={() =>
                changeAction.execute({
                  customerId,
                  toPlanId: preview.to.planId,
                  timing: preview.timing,
                  date: preview.date,
                  effectiveAt: preview.effectiveAt,
                  token: preview.token,
                  requestId,
                })
              }
            >
              {changeAction.isPending
                ? "Applying…"
                : `Confirm: ${preview.timing === "immediate" ? "change" : "schedule"} to ${preview.to.planName}${preview.prorationLines.length ? ` (${preview.prorationLines.map((l) => signed(l.amountMinor, preview.currency)).join(" / ")})` : ""}`}
            </Button>
            <Button variant="ghost" onClick={edit}>Discard preview</Button>
          </div>
        </section>
      ) : null}
    </section>
  );
}
