"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { resyncUsageAction } from "@/lib/actions/reconciliation";
import { Button } from "@/components/ui/button";

export type ResyncPlan = {
  customerId: string;
  customerName: string;
  from: string;
  to: string;
  /** What will be sent: one line per meter, e.g. "+12.5 GB of Bandwidth over 2 days". */
  effects: string[];
  /** The expected change to the provider's bill, e.g. "the provider's invoice rises by $4.20". */
  impact: string;
  notResendable: string[];
  resendable: boolean;
};
export type ProgressRow = { subjectId: string; createdAt: string; total: number; succeeded: number; failed: number; pending: number; lastError: string | null };

export function ResyncPanel({ plan, progress, canResync }: { plan: ResyncPlan; progress: ProgressRow[]; canResync: boolean }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [requestId, setRequestId] = useState(() => crypto.randomUUID());
  const { execute, result, isPending } = useAction(resyncUsageAction, {
    onSuccess: () => {
      setConfirming(false);
      setRequestId(crypto.randomUUID());
      router.refresh();
    },
  });
  const running = progress.some((p) => p.pending > 0);
  // Live progress: the worker sends the operations; refresh while any is pending.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => router.refresh(), 2000);
    return () => clearInterval(timer);
  }, [running, router]);
  const done = result.data;
  const error = result.serverError as { message?: string } | undefined;

  return (
    <section aria-labelledby="resync-heading" className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="resync-heading" className="text-base font-semibold">Re-sync to the provider</h2>
      {!canResync ? (
        <p className="text-sm text-slate-600">Your role can view reconciliation; Finance and Admin can re-sync.</p>
      ) : !plan.resendable ? (
        <p className="text-sm text-slate-600">Nothing to re-send for {plan.customerName} in this range.</p>
      ) : confirming ? (
        <div className="space-y-2 text-sm" role="group" aria-label="Confirm re-sync">
          <p className="font-medium">Re-send usage for {plan.customerName}, {plan.from} to {plan.to}:</p>
          <ul className="list-disc pl-5">{plan.effects.map((e) => <li key={e}>{e}</li>)}</ul>
          <p>Effect: {plan.impact}</p>
          <div className="flex gap-2">
            <Button disabled={isPending} onClick={() => execute({ customerId: plan.customerId, from: plan.from, to: plan.to, requestId })}>
              {isPending ? "Queueing…" : "Confirm re-sync"}
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>Cancel</Button>
          </div>
        </div>
      ) : (
        <Button onClick={() => setConfirming(true)}>Re-sync<span className="sr-only"> usage for {plan.customerName}</span></Button>
      )}
      {plan.notResendable.length > 0 ? (
        <p className="text-sm text-amber-900">Not re-sendable (the provider has more than Meterdesk; correct it at the provider): {plan.notResendable.join("; ")}.</p>
      ) : null}
      {error?.message ? <p role="alert" className="text-sm text-red-700">{error.message}</p> : null}
      {done ? (
        <p role="status" className="text-sm text-emerald-800">
          {done.outcome === "nothing_to_send"
            ? "Nothing to send: the provider already matches."
            : `Re-sync queued: ${done.operations} operation${done.operations === 1 ? "" : "s"} (${done.synthetic.length} day total${done.synthetic.length === 1 ? "" : "s"}, ${done.resentEvents} events re-sent).`}{" "}
          {done.auditId ? <Link className="text-indigo-700 underline" href={`/customers/${done.customerId}/activity`}>Audit event #{done.auditId}</Link> : null}
        </p>
      ) : null}
      {progress.length > 0 ? (
        <div className="text-sm">
          <h3 className="font-medium">Recent re-syncs</h3>
          <ul aria-live="polite">
            {progress.map((p) => (
              <li key={p.subjectId}>
                {new Date(p.createdAt).toISOString().replace("T", " ").slice(0, 19)} UTC:{" "}
                {p.pending > 0 ? `sending… ${p.succeeded} of ${p.total} sent` : p.failed > 0 ? `${p.failed} of ${p.total} failed (${p.lastError ?? "see the outbox"})` : `sent (${p.total} of ${p.total}) — confirmed by the provider`}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
