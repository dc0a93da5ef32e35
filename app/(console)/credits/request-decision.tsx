"use client";

import Link from "next/link";
import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { decideCreditRequestAction } from "@/lib/actions/credits";
import { Button } from "@/components/ui/button";
import { actionErrors, newRequestId } from "./action-errors";
import { pushDecisionNotice } from "./decision-notices";

export function RequestDecision({ creditRequestId, summary }: { creditRequestId: string; summary: string }) {
  const [note, setNote] = useState("");
  const [decision, setDecision] = useState<"approve" | "reject" | null>(null);
  const [requestId] = useState(newRequestId);
  const { execute, result, isPending } = useAction(decideCreditRequestAction, {
    onSuccess: ({ data }) => {
      if (!data) return;
      pushDecisionNotice({
        id: creditRequestId,
        text: data.decision === "approved" ? `Approved — ${data.amountLabel} credited, pending provider sync.` : `Rejected: ${summary}.`,
        customerId: data.customerId,
        auditId: String(data.auditId),
      });
    },
  });
  const { fields, message } = actionErrors(result);
  const id = `decide-${creditRequestId}`;
  if (result.data) {
    return (
      <p role="status" className="text-xs text-emerald-800">
        {result.data.decision === "approved" ? "Approved." : "Rejected."}{" "}
        <Link className="underline" href={`/customers/${result.data.customerId}/activity`}>Audit event #{result.data.auditId}</Link>
      </p>
    );
  }
  return (
    <form className="space-y-1" aria-label={`Decide: ${summary}`} onSubmit={(e) => { e.preventDefault(); if (decision) execute({ creditRequestId, decision, note, requestId }); }}>
      <label htmlFor={`${id}-note`} className="block text-xs text-slate-600">Decision note</label>
      <input id={`${id}-note`} value={note} onChange={(e) => setNote(e.target.value)} aria-invalid={fields.note ? true : undefined} aria-describedby={fields.note ? `${id}-note-error` : undefined} className="w-48 rounded border border-slate-300 px-2 py-1 text-sm" />
      {fields.note ? <p id={`${id}-note-error`} className="text-xs text-red-700">{fields.note}</p> : null}
      {decision ? (
        <div className="space-y-1">
          <p className="text-xs font-medium">{decision === "approve" ? `Approve: ${summary}` : `Reject: ${summary}`}</p>
          <div className="flex gap-1">
            <Button type="submit" variant={decision === "approve" ? "primary" : "danger"} disabled={isPending}>{isPending ? "Saving…" : decision === "approve" ? "Confirm approval" : "Confirm rejection"}</Button>
            <Button variant="ghost" onClick={() => setDecision(null)}>Back</Button>
          </div>
        </div>
      ) : (
        <div className="flex gap-1">
          <Button onClick={() => setDecision("approve")} aria-label={`Approve ${summary}`}>Approve…</Button>
          <Button variant="secondary" onClick={() => setDecision("reject")} aria-label={`Reject ${summary}`}>Reject…</Button>
        </div>
      )}
      {message && !fields.note ? <p role="alert" className="text-xs text-red-700">{message}</p> : null}
    </form>
  );
}
