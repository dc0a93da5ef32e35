"use client";

import { useEffect, useRef, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { recomputePreviewsAction } from "@/lib/actions/invoices";
import { Button } from "@/components/ui/button";
import { useJobProgress } from "@/components/jobs/use-job-progress";
import type { RecomputeJobDto } from "@/lib/server/queries/review-queue";

const active = (status: string | undefined) => status === "queued" || status === "running";

/** "Recompute previews" and the job's live progress, polled from /api/jobs/[id] with react-query; the page never waits on it. */
export function RecomputePanel({ canRecompute, initialJob }: { canRecompute: boolean; initialJob: RecomputeJobDto | null }) {
  const router = useRouter();
  const [started, setStarted] = useState<RecomputeJobDto | null>(initialJob);
  const [auditId, setAuditId] = useState<string | null>(null);
  const { execute, isPending, result } = useAction(recomputePreviewsAction, {
    onSuccess: ({ data }) => {
      if (!data) return;
      setAuditId(data.auditId);
      setStarted((j) => (j?.id === data.jobId ? j : { id: data.jobId, status: "queued", progressDone: 0, progressTotal: 0, progressFailed: 0, error: null, finishedAt: null }));
    },
  });
  const job = useJobProgress<RecomputeJobDto>(started?.id, started);
  const polling = active(job?.status);
  // When a job we watched finishes, re-render the server page so the queue shows the new snapshots.
  const watched = useRef(false);
  useEffect(() => {
    if (polling) watched.current = true;
    else if (watched.current) {
      watched.current = false;
      router.refresh();
    }
  }, [polling, router]);

  const pct = job && job.progressTotal > 0 ? Math.round((job.progressDone * 100) / job.progressTotal) : 0;
  return (
    <div className="flex min-w-72 flex-col items-end gap-1 text-sm">
      {canRecompute ? (
        <Button onClick={() => execute({})} disabled={isPending || polling}>
          {polling ? "Recomputing…" : isPending ? "Starting…" : "Recompute previews"}
        </Button>
      ) : null}
      <div role="status" aria-live="polite" className="text-right text-xs text-slate-600">
        {result.serverError ? <span className="text-red-700">{result.serverError.message}</span> : null}
        {job && polling ? (
          <span className="flex items-center gap-2">
            <label htmlFor="recompute-progress">Recomputing previews: {job.progressDone.toLocaleString("en-US")} of {job.progressTotal ? job.progressTotal.toLocaleString("en-US") : "…"} customers</label>
            <progress id="recompute-progress" max={100} value={pct} className="h-2 w-32" />
          </span>
        ) : job?.status === "succeeded" ? (
          <span>Last recompute: {job.progressTotal.toLocaleString("en-US")} customers{job.progressFailed ? `, ${job.progressFailed} without a provider preview` : ""}.</span>
        ) : job?.status === "failed" ? (
          <span className="text-red-700">The last recompute failed: {job.error ?? "unknown error"}. Try again.</span>
        ) : null}
        {auditId ? <> <Link className="text-indigo-700 underline" href={`/audit?event=${auditId}`}>Audit event #{auditId}</Link></> : null}
      </div>
    </div>
  );
}
