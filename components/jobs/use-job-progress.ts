"use client";

import { useQuery } from "@tanstack/react-query";

type JobLike = { id: string; status: string };
const active = (status: string | undefined) => status === "queued" || status === "running";

/**
 * Polls /api/jobs/[id] every second until the job has finished (a missed poll is retried);
 * returns the latest state, or `initial` before the first answer.
 */
export function useJobProgress<T extends JobLike>(jobId: string | undefined, initial: T | null): T | null {
  const query = useQuery({
    queryKey: ["job", jobId],
    enabled: Boolean(jobId) && (initial?.id !== jobId || active(initial?.status)),
    refetchInterval: (q) => (q.state.data && !active((q.state.data as T).status) ? false : 1000),
    queryFn: async (): Promise<T> => {
      const res = await fetch(`/api/jobs/${jobId}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`job progress: HTTP ${res.status}`);
      return (await res.json()) as T;
    },
  });
  return query.data && query.data.id === jobId ? query.data : initial;
}
