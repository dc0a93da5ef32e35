"use client";

import Link from "next/link";
import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { cancelPlanChangeAction } from "@/lib/actions/plan";
import { Button } from "@/components/ui/button";
import { DateTime } from "@/components/ui/date-time";

export type ScheduledChangeDto = {
  id: string;
  fromPlan: string;
  toPlan: string;
  effectiveAt: string;
  timingLabel: string;
  requestedBy: string | null;
  syncLabel: string | null;
};

/**
 * Scheduled changes with their Cancel buttons. A client component so the outcome of a cancel
 * (with its audit link) stays on screen after the list refreshes without the canceled change.
 */
export function ScheduledChanges({ changes, canCancel }: { changes: ScheduledChangeDto[]; canCancel: boolean }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const { execute, result, isPending, reset } = useAction(cancelPlanChangeAction, { onSuccess: () => setConfirming(null) });
  const error = result.serverError?.message ?? (result.validationErrors ? "This change cannot be canceled; reload the page." : undefined);

  return (
    <div className="space-y-2">
      {changes.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm text-slate-600">No change is scheduled.</p>
      ) : (
        <ul className="space-y-2">
          {changes.map((c) => {
            const summary = `the change from ${c.fromPlan} to ${c.toPlan} on ${c.effectiveAt.slice(0, 10)}`;
            return (
              <li key={c.id} className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-indigo-200 bg-indigo-50/40 p-3 text-sm">
                <span>
                  From <strong>{c.fromPlan}</strong> to <strong>{c.toPlan}</strong> on <DateTime iso={c.effectiveAt} /> ({c.timingLabel}), requested by{" "}
                  {c.requestedBy ?? "the system"}.{c.syncLabel ? ` Provider: ${c.syncLabel}.` : ""}
                </span>
                {canCancel ? (
                  confirming === c.id ? (
                    <span className="flex flex-wrap items-center gap-2">
                      <span>Cancel {summary}? Nothing is billed for it.</span>
                      <Button variant="danger" disabled={isPending} onClick={() => execute({ changeId: c.id })}>{isPending ? "Canceling…" : "Yes, cancel the change"}</Button>
                      <Button variant="ghost" onClick={() => setConfirming(null)}>Keep it</Button>
                    </span>
                  ) : (
                    <Button variant="secondary" aria-label={`Cancel ${summary}`} onClick={() => { reset(); setConfirming(c.id); }}>Cancel change</Button>
                  )
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      <p role="status" className="text-sm">
        {error ? <span className="text-red-700">{error}</span> : null}
        {result.data ? (
          <span className="text-emerald-800">
            {result.data.message}. <Link className="underline" href={result.data.auditHref}>View the audit event #{result.data.auditEventId}</Link>
            {result.data.providerCancelQueued ? " The provider is told in the background." : ""}
          </span>
        ) : null}
      </p>
    </div>
  );
}
