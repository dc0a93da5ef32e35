"use client";

import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type StackedRow = { label: string; values: Record<string, string> };
export type StackedSeries = { key: string; name: string };

const COLORS = ["#4338ca", "#0f766e", "#b45309", "#be123c", "#7c3aed", "#0369a1", "#4d7c0f", "#64748b"];

/**
 * A stacked area (over time) or stacked bar chart. Values arrive as decimal strings; Number() is
 * used for plot positions only — every number a person reads is in the table beside the chart,
 * formatted from the strings. `format` turns a plotted value back into text for the tooltip.
 */
export function StackedChart({ title, description, kind, rows, series, unitLabel, scale = 1 }: {
  title: string;
  description: string;
  kind: "area" | "bar";
  rows: StackedRow[];
  series: StackedSeries[];
  unitLabel: string;
  /** Divide plotted values by this (minor → major units for money). */
  scale?: number;
}) {
  const data = rows.map((r) => ({ label: r.label, ...Object.fromEntries(series.map((s) => [s.key, Number(r.values[s.key] ?? "0") / scale])) }));
  const common = { data, title, desc: description, margin: { top: 12, right: 16, bottom: 4, left: 8 } };
  const axis = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
      <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={16} />
      <YAxis tick={{ fontSize: 11 }} width={64} tickFormatter={(v: number) => v.toLocaleString("en-US")} label={{ value: unitLabel, angle: -90, position: "insideLeft", fontSize: 11 }} />
      <Tooltip formatter={(v) => [Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 }), undefined] as never} />
      <Legend wrapperStyle={{ fontSize: 12 }} />
    </>
  );
  return (
    <ResponsiveContainer width="100%" height={260}>
      {kind === "area" ? (
        <AreaChart {...common}>
          {axis}
          {series.map((s, i) => (
            <Area key={s.key} type="monotone" dataKey={s.key} name={s.name} stackId="1" stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]} fillOpacity={0.35} isAnimationActive={false} />
          ))}
        </AreaChart>
      ) : (
        <BarChart {...common}>
          {axis}
          {series.map((s, i) => (
            <Bar key={s.key} dataKey={s.key} name={s.name} stackId="1" fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      )}
    </ResponsiveContainer>
  );
}
