import { Badge } from "@/components/ui/badge";
import type { SyncState } from "@/lib/server/queries/credits";

/** Pending until the provider confirmed; never shown as done before it is. */
export function SyncStatus({ sync, label = "" }: { sync: SyncState; label?: string }) {
  if (sync.state === "synced") {
    return (
      <span className="inline-flex flex-col gap-0.5">
        <Badge tone="good">{label}Synced</Badge>
        {sync.reference ? <span className="font-mono text-[11px] text-slate-500">{sync.reference}</span> : null}
      </span>
    );
  }
  if (sync.state === "failed") {
    return (
      <span className="inline-flex flex-col gap-0.5">
        <Badge tone="bad">{label}Failed — retry</Badge>
        {sync.error ? <span className="max-w-56 text-[11px] text-red-800">{sync.error}</span> : null}
      </span>
    );
  }
  return <Badge tone="warn">{label}Pending sync</Badge>;
}
