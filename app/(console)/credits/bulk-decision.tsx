"use client";

import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { decideBulkCreditAction } from "@/lib/actions/bulk-credits";
import { Button } from "@/components/ui/button";
import { actionErrors, newRequestId } from "./action-errors";

/** Mounted for every bulk credit so that, once decided and re-rendered, the outcome stays visible. */
export function BulkDecision({ bulkCreditId, summary, pending }: { bulkCreditId: string; summary: string; pending: boolean }) {
  const [note, setNote] = useState("");
  const [decision, setDecision] = useState<"approve" | "reject" | null>(null);
  const [requestId] = useState(newRequestId);
  const { execute, result, isPending } = useAction(decideBulkCreditAction);
  const { fields, message } = actionErrors(result);
  const id = `bulk-decide-${bulkCreditId}`;
  if (result.data) return <p role="status" className="text-xs text-emerald-800">{result.data.decision === "approved" ? "Approved — credits are being issued." : "Rejected."} (audit event #{result.data.auditId})</p>;
  if (!pending) return null;
  return (
    <form className="space-y-1" onSubmit={(e) => { e.preventDefault(); if (decision) execute({ bulkCreditId, decision, note, requestId }); }}>
      <label htmlFor={`${id}-note`} className="block text-xs text-slate-600">Decision note</label>
      <input id={`${id}-note`} value={note} onChange={(e) => setNote(e.target.value)} aria-invalid={fields.note ? true : undefined} aria-describedby={fields.note ? `${id}-note-error` : undefined} className="w-48 rounded border border-slate-300 px-2 py-1 text-sm" />
      {fields.note ? <p id={`${id}-note-error`} className="text-xs text-red-700">{fields.note}</p> : null}
      {decision ? (
        <div className="space-y-1">
          <p className="text-xs font-medium">{decision === "approve" ? `Approve and issue: ${summary}` : `Reject: ${summary}`}</p>
          <div className="flex gap-1">
            <Button type="submit" variant={decision === "approve" ? "primary" : "danger"} disabled={isPending}>{decision === "approve" ? "Confirm approval" : "Confirm rejection"}</Button>
            <Button variant="ghost" onClick={() => setDecision(null)}>Back</Button>
          </div>
        </div>
      ) : (
        <div className="flex gap-1">
          <Button onClick={() => setDecision("approve")} aria-label={`Approve bulk credit ${summary}`}>Approve…</Button>
          <Button variant="secondary" onClick={() => setDecision("reject")} aria-label={`Reject bulk credit ${summary}`}>Reject…</Button>
        </div>
      )}
      {message && !fields.note ? <p role="alert" className="text-xs text-red-700">{message}</p> : null}
    </form>
  );
}
