"use client";

import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { updateCreditLimitsAction } from "@/lib/actions/credits";
import { roleLabels, type Role } from "@/lib/auth/permissions";
import { Button } from "@/components/ui/button";
import { actionErrors } from "../credits/action-errors";

/** Per-role credit limits in major units of the customer's currency; empty = unlimited. */
export function CreditLimitsForm({ limits }: { limits: Array<{ role: Role; limit: string | null }> }) {
  const [values, setValues] = useState<Record<string, string>>(Object.fromEntries(limits.map((l) => [l.role, l.limit ?? ""])));
  const [reason, setReason] = useState("");
  const { execute, result, isPending } = useAction(updateCreditLimitsAction);
  const { fields, message } = actionErrors(result);
  const v = result.validationErrors as { limits?: Record<string, { limit?: { _errors?: string[] } }> } | undefined;
  return (
    <form
      className="space-y-3"
      aria-labelledby="limits-heading"
      onSubmit={(e) => {
        e.preventDefault();
        execute({ limits: limits.map((l) => ({ role: l.role, limit: (values[l.role] ?? "").trim() })), reason });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-3 lg:grid-cols-6">
        {limits.map((l, i) => {
          const error = v?.limits?.[i]?.limit?._errors?.[0];
          return (
            <div key={l.role}>
              <label htmlFor={`limit-${l.role}`} className="mb-1 block text-xs font-medium text-slate-700">{roleLabels[l.role]}</label>
              <input id={`limit-${l.role}`} inputMode="decimal" value={values[l.role] ?? ""} placeholder="No limit" onChange={(e) => setValues({ ...values, [l.role]: e.target.value })} aria-invalid={error ? true : undefined} aria-describedby={error ? `limit-${l.role}-error` : undefined} className="block w-full rounded-md border border-slate-300 px-2 py-1 text-sm" />
              {error ? <p id={`limit-${l.role}-error`} className="mt-1 text-xs text-red-700">{error}</p> : null}
            </div>
          );
        })}
      </div>
      <div className="flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="limits-reason" className="mb-1 block text-xs font-medium text-slate-700">Reason for the change</label>
          <input id="limits-reason" value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={fields.reason ? true : undefined} aria-describedby={fields.reason ? "limits-reason-error" : undefined} className="w-72 rounded-md border border-slate-300 px-2 py-1 text-sm" />
          {fields.reason ? <p id="limits-reason-error" className="mt-1 text-xs text-red-700">{fields.reason}</p> : null}
        </div>
        <Button type="submit" variant="secondary" disabled={isPending}>{isPending ? "Saving…" : "Save credit limits"}</Button>
      </div>
      <p role="status" className="text-xs">
        {message && !fields.reason ? <span className="text-red-700">{message}</span> : null}
        {result.data?.changed ? <span className="text-emerald-800">Saved (audit event #{result.data.auditId}).</span> : result.data ? "No change." : null}
      </p>
    </form>
  );
}
