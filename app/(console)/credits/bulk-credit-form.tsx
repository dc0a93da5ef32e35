"use client";

import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { formatMoney } from "@/lib/billing/money";
import { csvLine } from "@/lib/csv";
import { prepareBulkCreditAction, previewBulkCreditAction } from "@/lib/actions/bulk-credits";
import { creditReasonLabels, creditReasons } from "@/lib/actions/credits.schema";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { actionErrors, newRequestId } from "./action-errors";

type Options = { meters: Array<{ key: string; name: string; unit: string }>; regions: string[]; currencies: string[] };
type Reason = (typeof creditReasons)[number];

/** datetime-local (viewer's time) → ISO instant. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : "");

export function BulkCreditForm({ options }: { options: Options }) {
  const [requestId, setRequestId] = useState(newRequestId);
  const [name, setName] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [meterKeys, setMeterKeys] = useState<string[]>([]);
  const [regions, setRegions] = useState<string[]>([]);
  const [currency, setCurrency] = useState(options.currencies[0] ?? "USD");
  const [rule, setRule] = useState<"percent_of_cost" | "flat">("percent_of_cost");
  const [percent, setPercent] = useState("10");
  const [flatAmount, setFlatAmount] = useState("");
  const [cap, setCap] = useState("");
  const [reason, setReason] = useState<Reason>("outage");
  const [note, setNote] = useState("");
  const preview = useAction(previewBulkCreditAction);
  const prepare = useAction(prepareBulkCreditAction, { onSuccess: () => setRequestId(newRequestId()) });
  const params = { windowStart: toIso(start), windowEnd: toIso(end), meterKeys, regions, currency, rule, percent, flatAmount, cap };
  const pErr = actionErrors(preview.result);
  const sErr = actionErrors(prepare.result);
  const errors = { ...pErr.fields, ...sErr.fields };
  const data = preview.result.data;
  const fmt = (minor: string) => formatMoney({ amountMinor: BigInt(minor), currency: data?.currency ?? currency });
  const toggle = (list: string[], value: string) => (list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);

  function downloadCsv() {
    if (!data) return;
    let text = csvLine(["customer", "platform_id", "region", "usage", `cost_${data.currency}`, `credit_${data.currency}`]);
    for (const r of data.rows) text += csvLine([r.customerName, r.platformId, r.region, r.usage.map((u) => `${u.meterKey}=${u.quantity}`).join("; "), fmt(r.costMinor), fmt(r.amountMinor)]);
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `bulk-credit-preview-${new Date().toISOString().slice(0, 10)}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  }

  return (
    <form noValidate className="space-y-3 rounded-lg border border-slate-200 bg-white p-4" onSubmit={(e) => { e.preventDefault(); preview.execute(params); }} aria-labelledby="bulk-form-heading">
      <h3 id="bulk-form-heading" className="font-semibold">Prepare a bulk incident credit</h3>
      <p className="text-xs text-slate-600">
        Method: a customer’s cost in the window is their usage on the chosen meters during the window, priced at the per-unit rates of the plan in force when the window opened, without allowances.
        Usage comes from daily rollups; each UTC day counts pro rata to the part of it inside the window. The credit is that percentage of the cost (rounded once, half to even) or a flat amount, then capped.
      </p>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <TextField id="bulk-name" label="Incident name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} />
        <TextField id="bulk-start" label="Incident start (your time)" type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} error={errors.windowStart} />
        <TextField id="bulk-end" label="Incident end (your time)" type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} error={errors.windowEnd} />
        <fieldset className="sm:col-span-2 lg:col-span-3" aria-describedby={errors.meterKeys ? "bulk-meters-error" : undefined}>
          <legend className="mb-1 text-xs font-medium text-slate-700">Affected meters</legend>
          <div className="flex flex-wrap gap-3 text-sm">
            {options.meters.map((m) => (
              <label key={m.key} className="flex items-center gap-1"><input type="checkbox" checked={meterKeys.includes(m.key)} onChange={() => setMeterKeys(toggle(meterKeys, m.key))} /> {m.name}</label>
            ))}
          </div>
          {errors.meterKeys ? <p id="bulk-meters-error" className="mt-1 text-xs text-red-700">{errors.meterKeys}</p> : null}
        </fieldset>
        <fieldset className="sm:col-span-2 lg:col-span-3">
          <legend className="mb-1 text-xs font-medium text-slate-700">Regions (none ticked = all regions)</legend>
          <div className="flex flex-wrap gap-3 text-sm">
            {options.regions.map((r) => (
              <label key={r} className="flex items-center gap-1"><input type="checkbox" checked={regions.includes(r)} onChange={() => setRegions(toggle(regions, r))} /> {r}</label>
            ))}
          </div>
        </fieldset>
        <SelectField id="bulk-currency" label="Currency (customers billed in it)" value={currency} onChange={(e) => setCurrency(e.target.value)} error={errors.currency}>
          {options.currencies.map((c) => <option key={c} value={c}>{c}</option>)}
        </SelectField>
        <SelectField id="bulk-rule" label="Rule" value={rule} onChange={(e) => setRule(e.target.value as typeof rule)}>
          <option value="percent_of_cost">Percent of cost in the window</option>
          <option value="flat">Flat amount per customer</option>
        </SelectField>
        {rule === "percent_of_cost"
          ? <TextField id="bulk-percent" label="Percent" inputMode="decimal" value={percent} onChange={(e) => setPercent(e.target.value)} error={errors.percent} />
          : <TextField id="bulk-flat" label={`Flat amount (${currency})`} inputMode="decimal" value={flatAmount} onChange={(e) => setFlatAmount(e.target.value)} error={errors.flatAmount} />}
        <TextField id="bulk-cap" label={`Cap per customer (${currency}, optional)`} inputMode="decimal" value={cap} onChange={(e) => setCap(e.target.value)} error={errors.cap} />
        <SelectField id="bulk-reason" label="Reason" value={reason} onChange={(e) => setReason(e.target.value as Reason)}>
          {creditReasons.map((r) => <option key={r} value={r}>{creditReasonLabels[r]}</option>)}
        </SelectField>
        <TextField id="bulk-note" label="Note" className="sm:col-span-2" value={note} onChange={(e) => setNote(e.target.value)} error={errors.note} />
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="secondary" disabled={preview.isPending}>{preview.isPending ? "Computing…" : "Preview"}</Button>
        {data ? <Button variant="secondary" onClick={downloadCsv}>Export preview as CSV</Button> : null}
        {data && data.rows.length ? (
          <Button disabled={prepare.isPending} onClick={() => prepare.execute({ ...params, name, reason, note, requestId })}>
            {prepare.isPending ? "Submitting…" : `Submit ${fmt(data.totalMinor)} to ${data.rows.filter((r) => r.amountMinor !== "0").length} customers for approval`}
          </Button>
        ) : null}
      </div>
      <div role="status" aria-live="polite" className="text-sm">
        {pErr.message ? <p className="text-red-700">{pErr.message}</p> : null}
        {sErr.message ? <p className="text-red-700">{sErr.message}</p> : null}
        {prepare.result.data ? <p className="text-emerald-800">Sent for approval: {prepare.result.data.totalLabel}{prepare.result.data.auditId ? ` (audit event #${prepare.result.data.auditId})` : " (already submitted)"}. A finance approver decides below.</p> : null}
      </div>
      {data ? (
        data.rows.length === 0 ? <p className="text-sm text-slate-600">No customer had usage on these meters in this window.</p> : (
          <Table caption="Preview: every affected customer with usage in the window" captionHidden={false}>
            <thead><tr><Th>Customer</Th><Th>Region</Th><Th>Usage in the window</Th><Th align="right">Cost</Th><Th align="right">Credit</Th></tr></thead>
            <tbody className="divide-y divide-slate-100">
              {data.rows.map((r) => (
                <tr key={r.customerId}>
                  <Td>{r.customerName} <span className="font-mono text-xs text-slate-500">{r.platformId}</span></Td>
                  <Td>{r.region}</Td>
                  <Td className="text-xs">{r.usage.map((u) => `${u.meterKey} ${u.quantity}`).join(", ")}</Td>
                  <Td align="right" className="tabular">{fmt(r.costMinor)}</Td>
                  <Td align="right" className="tabular">{fmt(r.amountMinor)}</Td>
                </tr>
              ))}
            </tbody>
            <tfoot className="border-t border-slate-300 font-medium">
              <tr><Td colSpan={3} align="right">Total ({data.rows.length} customers)</Td><Td align="right" className="tabular">{fmt(data.costTotalMinor)}</Td><Td align="right" className="tabular">{fmt(data.totalMinor)}</Td></tr>
            </tfoot>
          </Table>
        )
      ) : null}
    </form>
  );
}
