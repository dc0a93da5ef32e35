"use client";

import { Area, Bar, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { bucketLabel, formatQuantity, type ChartMode, type UsageChartRow } from "./usage-chart-data";

export type UsageChartProps = {
  /** The chart's accessible name (the SVG's <title>). */
  title: string;
  /** A one-sentence text summary (the SVG's <desc>); the page shows it as text as well. */
  description: string;
  mode: ChartMode;
  bucket: "hour" | "day";
  unit: string;
  rows: UsageChartRow[];
  /** Where the allowance line sits (whole period in cumulative mode, per bucket otherwise); null = none. */
  allowance: string | null;
  allowanceLabel: string;
};

// Plot positions only: quantities are decimal strings everywhere else, and every number a
// person reads (summary, data table, tooltip) is formatted from those strings.
const plot = (v: string | null) => (v === null ? null : Number(v));

/**
 * One meter's usage: per-bucket bars, or (current period) the running total as an area with the
 * projection to period end as a dashed line. The allowance is a labelled reference line; the
 * legend names every series, so nothing relies on colour alone.
 */
export function UsageChart({ title, description, mode, bucket, unit, rows, allowance, allowanceLabel }: UsageChartProps) {
  const data = rows.map((r) => ({ t: r.t, usage: plot(r.usage), cumulative: plot(r.cumulative), projected: plot(r.projected), raw: r }));
  const tooltipValue = (value: unknown, name: unknown, item: { payload?: { raw?: UsageChartRow } }) => {
    const raw = item.payload?.raw;
    const key = name === "Projected" ? "projected" : name === "Used" || name === "Used so far" ? (mode === "cumulative" ? "cumulative" : "usage") : null;
    const text = raw && key && raw[key] !== null ? formatQuantity(raw[key]!, 3) : String(value);
    return [`${text} ${unit}`, String(name)] as [string, string];
  };
  return (
    <ResponsiveContainer width="100%" height={240}>
      <ComposedChart data={data} title={title} desc={description} margin={{ top: 16, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis dataKey="t" tickFormatter={(t: string) => bucketLabel(t, bucket)} minTickGap={24} tick={{ fontSize: 11 }} />
        <YAxis domain={[0, "auto"]} allowDecimals={false} tickFormatter={(v: number) => formatQuantity(String(v), 0)} tick={{ fontSize: 11 }} width={56} />
        <Tooltip labelFormatter={(t) => `${bucketLabel(String(t), bucket)} UTC`} formatter={tooltipValue as never} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {mode === "cumulative" ? (
          <>
            <Area type="monotone" dataKey="cumulative" name="Used so far" stroke="#4338ca" fill="#c7d2fe" isAnimationActive={false} connectNulls={false} />
            <Line type="monotone" dataKey="projected" name="Projected" stroke="#b45309" strokeWidth={2} strokeDasharray="6 4" dot={false} isAnimationActive={false} connectNulls={false} />
          </>
        ) : (
          <Bar dataKey="usage" name="Used" fill="#6366f1" isAnimationActive={false} />
        )}
        {allowance !== null ? (
          <ReferenceLine y={Number(allowance)} ifOverflow="extendDomain" stroke="#047857" strokeDasharray="2 2" strokeWidth={2} label={{ value: allowanceLabel, position: "insideTopLeft", fontSize: 11, fill: "#065f46" }} />
        ) : null}
      </ComposedChart>
    </ResponsiveContainer>
  );
}
