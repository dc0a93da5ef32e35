import { UsageChart } from "@/components/charts/usage-chart";
import { bucketLabel, formatQuantity, type ChartMode, type UsageChartRow } from "@/components/charts/usage-chart-data";
import { Table, Td, Th } from "@/components/ui/table";

export type MeterCardProps = {
  meterKey: string;
  name: string;
  unit: string;
  mode: ChartMode;
  bucket: "hour" | "day";
  rows: UsageChartRow[];
  allowance: string | null;
  allowanceLabel: string;
  /** Text summary: total, allowance and projection, so the chart is never the only way to read them. */
  summary: string[];
  caption: string;
};

/** One meter: heading, chart, its text summary and the numbers behind it. */
export function MeterUsageCard({ meterKey, name, unit, mode, bucket, rows, allowance, allowanceLabel, summary, caption }: MeterCardProps) {
  const headingId = `meter-${meterKey}`;
  const summaryId = `meter-${meterKey}-summary`;
  const shown = rows.filter((r) => r.usage !== null || r.projected !== null);
  return (
    <figure aria-labelledby={headingId} aria-describedby={summaryId} className="rounded-lg border border-slate-200 bg-white p-4">
      <h3 id={headingId} className="text-sm font-semibold">{name} <span className="font-normal text-slate-500">({unit})</span></h3>
      <div className="mt-2">
        <UsageChart
          title={`${name}: ${mode === "cumulative" ? "usage this period against the allowance" : `${bucket === "hour" ? "hourly" : "daily"} usage`}`}
          description={summary.join(" ")}
          mode={mode}
          bucket={bucket}
          unit={unit}
          rows={rows}
          allowance={allowance}
          allowanceLabel={allowanceLabel}
        />
      </div>
      <figcaption className="mt-2 space-y-1 text-sm">
        <ul id={summaryId} className="space-y-0.5 text-slate-800">
          {summary.map((line) => <li key={line}>{line}</li>)}
        </ul>
        <p className="text-xs text-slate-500">{caption}</p>
      </figcaption>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer text-indigo-700">Show data<span className="sr-only"> for {name}</span></summary>
        <div className="mt-2 max-h-72 overflow-y-auto">
          <Table caption={`${name}: usage per ${bucket === "hour" ? "hour" : "day"} (UTC)`}>
            <thead>
              <tr>
                <Th>{bucket === "hour" ? "Hour (UTC)" : "Day (UTC)"}</Th>
                <Th align="right">Used ({unit})</Th>
                {mode === "cumulative" ? <Th align="right">Used so far ({unit})</Th> : null}
                {mode === "cumulative" ? <Th align="right">Projected ({unit})</Th> : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {shown.map((r) => (
                <tr key={r.t}>
                  <Td>{bucketLabel(r.t, bucket)}</Td>
                  <Td align="right" className="tabular">{r.usage === null ? "—" : formatQuantity(r.usage, 6)}</Td>
                  {mode === "cumulative" ? <Td align="right" className="tabular">{r.cumulative === null ? "—" : formatQuantity(r.cumulative, 6)}</Td> : null}
                  {mode === "cumulative" ? <Td align="right" className="tabular">{r.projected === null ? "—" : formatQuantity(r.projected, 6)}</Td> : null}
                </tr>
              ))}
            </tbody>
          </Table>
        </div>
      </details>
    </figure>
  );
}
