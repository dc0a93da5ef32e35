"use client";

import Link from "next/link";
import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { formatMoney } from "@/lib/billing/money";
import { voidCreditAction } from "@/lib/actions/credits";
import { Button } from "@/components/ui/button";
import { actionErrors, newRequestId } from "../../../credits/action-errors";

/** Mounted for every grant so that, once voided and re-rendered, the outcome stays visible. */
export function VoidCreditButton({ grantId, customerId, remainingMinor, balanceMinor, currency, voidable }: { grantId: string; customerId: string; remainingMinor: string; balanceMinor: string; currency: string; voidable: boolean }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [requestId] = useState(newRequestId);
  const { execute, result, isPending } = useAction(voidCreditAction);
  const { fields, message } = actionErrors(result);
  const fmt = (m: bigint) => formatMoney({ amountMinor: m, currency });
  const id = `void-${grantId}`;
  if (result.data) {
    return (
      <p role="status" className="text-xs text-emerald-800">
        Voided {result.data.amountLabel} — pending provider sync. <Link className="underline" href={`/customers/${customerId}/activity`}>Audit event #{result.data.auditId}</Link>
      </p>
    );
  }
  if (!voidable) return null;
  if (!open) return <Button variant="secondary" onClick={() => setOpen(true)} aria-label={`Void remaining ${fmt(BigInt(remainingMinor))}`}>Void…</Button>;
  return (
    <form className="space-y-1" onSubmit={(e) => { e.preventDefault(); execute({ grantId, reason, requestId }); }}>
      <p className="text-xs font-medium">Void the unused {fmt(BigInt(remainingMinor))}; balance becomes {fmt(BigInt(balanceMinor) - BigInt(remainingMinor))}.</p>
      <label htmlFor={`${id}-reason`} className="block text-xs text-slate-600">Reason for voiding</label>
      <input id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={fields.reason ? true : undefined} aria-describedby={fields.reason ? `${id}-reason-error` : undefined} className="w-48 rounded border border-slate-300 px-2 py-1 text-sm" />
      {fields.reason ? <p id={`${id}-reason-error`} className="text-xs text-red-700">{fields.reason}</p> : null}
      <div className="flex gap-1">
        <Button type="submit" variant="danger" disabled={isPending}>{isPending ? "Voiding…" : "Confirm void"}</Button>
        <Button variant="ghost" onClick={() => setOpen(false)}>Cancel</Button>
      </div>
      {message && !fields.reason ? <p role="alert" className="text-xs text-red-700">{message}</p> : null}
    </form>
  );
}
