// Loads what /plans shows and turns it into table rows; the page and its CSV export share this,
// so an export holds exactly the numbers on screen for the same URL.
import { toMajorString } from "@/lib/billing";
import type { Db } from "@/lib/server/db/client";
import {
  ALLOWANCE_BANDS,
  getAllowanceUsage,
  getPlanChangeMatrix,
  getRevenueSeries,
  getSubscriberSeries,
  parseAdoptionRange,
  type AdoptionRange,
} from "@/lib/server/queries/adoption";
import { param, type SearchParams } from "@/lib/url";

export const DATASETS = ["subscribers", "revenue", "changes", "allowance", "over-allowance"] as const;
export type Dataset = (typeof DATASETS)[number];

export function rangeFromParams(sp: SearchParams, now: Date) {
  return parseAdoptionRange({ from: param(sp, "from"), to: param(sp, "to"), interval: param(sp, "interval"), currency: param(sp, "currency") }, now);
}

export function rangeParams(range: AdoptionRange): Record<string, string> {
  return { from: range.from, to: range.to, interval: range.interval, currency: range.currency };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
export function bucketLabel(bucket: string, interval: AdoptionRange["interval"]): string {
  const [y, m, d] = bucket.split("-").map(Number) as [number, number, number];
  return interval === "month" ? `${MONTHS[m - 1]} ${y}` : `Week of ${MONTHS[m - 1]} ${d}, ${y}`;
}

export async function loadAdoption(db: Db, range: AdoptionRange, now: Date) {
  const [subscribers, revenue, changes, allowance] = await Promise.all([
    getSubscriberSeries(db, range, now),
    getRevenueSeries(db, range),
    getPlanChangeMatrix(db, range),
    getAllowanceUsage(db, now),
  ]);
  return { subscribers, revenue, changes, allowance };
}
export type Adoption = Awaited<ReturnType<typeof loadAdoption>>;

/** Header and rows of one dataset, as plain strings (money in major units with its currency). */
export function datasetTable(data: Adoption, range: AdoptionRange, dataset: Dataset): { header: string[]; rows: string[][] } {
  const names = (plans: Array<{ key: string; name: string }>) => plans.map((p) => p.name);
  switch (dataset) {
    case "subscribers": {
      const { plans, points } = data.subscribers;
      return {
        header: ["bucket_start_utc", ...names(plans), "total"],
        rows: points.map((p) => [p.bucket, ...plans.map((pl) => p.values[pl.key] ?? "0"), String(plans.reduce((s, pl) => s + Number(p.values[pl.key] ?? "0"), 0))]),
      };
    }
    case "revenue": {
      const { plans, points, currency } = data.revenue;
      const major = (minor: string) => toMajorString({ amountMinor: BigInt(minor), currency });
      return {
        header: ["bucket_start_utc", ...names(plans).map((n) => `${n} (${currency})`), `total (${currency})`],
        rows: points.map((p) => [
          p.bucket,
          ...plans.map((pl) => major(p.values[pl.key] ?? "0")),
          major(plans.reduce((s, pl) => s + BigInt(p.values[pl.key] ?? "0"), 0n).toString()),
        ]),
      };
    }
    case "changes": {
      const name = new Map(data.changes.plans.map((p) => [p.key, p.name]));
      return {
        header: ["from_plan", "to_plan", "direction", "changes", "range_from", "range_to"],
        rows: data.changes.cells.map((c) => [name.get(c.from) ?? c.from, name.get(c.to) ?? c.to, c.direction, String(c.count), range.from, range.to]),
      };
    }
    case "allowance":
      return {
        header: ["plan", ...ALLOWANCE_BANDS.map((b) => b.label), "customers"],
        rows: data.allowance.plans.map((p) => [p.name, ...ALLOWANCE_BANDS.map((b) => String(p.counts[b.band])), String(Object.values(p.counts).reduce((s, n) => s + n, 0))]),
      };
    case "over-allowance":
      return {
        header: ["customer", "platform_id", "plan", "meter", "used", "included", "percent_of_allowance", "period_start_utc", "period_end_utc"],
        rows: data.allowance.customers
          .filter((c) => c.band === "over")
          .map((c) => [c.name, c.platformId, c.planName, c.meterName, c.used, c.included, c.percent, c.periodStart, c.periodEnd]),
      };
  }
}
