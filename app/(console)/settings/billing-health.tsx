import { db } from "@/lib/server/db";
import { getBillingProvider } from "@/lib/providers";
import { billingHealth } from "@/lib/server/queries/health";
import { providerLabels } from "@/lib/providers/links";
import { DateTime } from "@/components/ui/date-time";
import { TestConnectionButton } from "./test-connection-button";

function age(ms: number | null): string {
  if (ms === null) return "none";
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export async function BillingHealthSection() {
  const provider = getBillingProvider(db);
  const h = await billingHealth(db, provider);
  const figures: Array<[string, string]> = [
    ["Outbox depth", h.outbox.depth.toLocaleString("en-US")],
    ["Oldest pending", age(h.outbox.oldestPendingAgeMs)],
    ["Failed operations", h.outbox.failed.toLocaleString("en-US")],
    ["Error rate (last hour)", `${(h.lastHour.errorRate * 100).toFixed(1)}%`],
    ["Time to confirm (avg, last hour)", h.lastHour.avgCompletionSeconds === null ? "—" : `${h.lastHour.avgCompletionSeconds.toFixed(1)} s`],
    ["Usage ingest lag", h.usageLagSeconds === null ? "no usage yet" : age(h.usageLagSeconds * 1000)],
  ];
  return (
    <section aria-labelledby="health-heading" className="space-y-2">
      <h2 id="health-heading" className="text-base font-semibold">Provider and billing health</h2>
      <p className="text-sm text-slate-600">
        Active provider: <strong>{providerLabels[h.provider] ?? h.provider}</strong> —{" "}
        {h.check.ok ? <span className="text-emerald-800">reachable ({h.check.latencyMs} ms)</span> : <span className="text-red-700">not reachable{h.check.detail ? `: ${h.check.detail}` : ""}</span>}
        . Last confirmed operation: {h.lastSuccessAt ? <DateTime iso={h.lastSuccessAt} /> : "none yet"}. The same figures are at <code>/api/metrics</code> for monitoring.
      </p>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        {figures.map(([label, value]) => (
          <div key={label} className="rounded-lg border border-slate-200 bg-white p-3">
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="tabular text-lg font-semibold">{value}</dd>
          </div>
        ))}
      </dl>
      {Object.keys(h.outbox.failuresByKind).length ? (
        <p className="text-sm text-red-800">
          Failures by kind: {Object.entries(h.outbox.failuresByKind).map(([k, n]) => `${k} ${n}`).join(", ")}.
        </p>
      ) : null}
      <TestConnectionButton />
    </section>
  );
}
