"use client";

import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { retryCreditSyncAction } from "@/lib/actions/credits";
import { Button } from "@/components/ui/button";

export function RetrySyncButton({ operationId, label }: { operationId: string; label: string }) {
  const { execute, result, isPending } = useAction(retryCreditSyncAction);
  return (
    <span className="inline-flex items-center gap-2">
      <Button variant="secondary" disabled={isPending || !!result.data} onClick={() => execute({ operationId })} aria-label={`Retry sync of ${label}`}>
        {isPending ? "Retrying…" : "Retry"}
      </Button>
      <span role="status" className="text-xs">
        {result.serverError ? <span className="text-red-700">{(result.serverError as { message?: string }).message}</span> : null}
        {result.data ? (
          <span className="text-emerald-800">
            Queued again{result.data.customerId ? <> — <Link className="underline" href={`/customers/${result.data.customerId}/activity`}>audit event #{result.data.auditId}</Link></> : ` (audit event #${result.data.auditId})`}
          </span>
        ) : null}
      </span>
    </span>
  );
}
