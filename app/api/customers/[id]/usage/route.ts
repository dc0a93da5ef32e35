import { z } from "zod";
import { withPermission, AppError } from "@/lib/server/route";
import { db } from "@/lib/server/db";
import { getUsageSeries, resolveUsageView } from "@/lib/server/queries/usage";
import { csvFilename, csvLine } from "@/lib/csv";

export const dynamic = "force-dynamic";

const header = ["meter_key", "bucket_start_utc", "quantity"];

/**
 * CSV of exactly what the Usage tab shows for the same `range`, `from` and `to`: one row per
 * meter and bucket that has rollups, in the tab's bucket (hourly or daily).
 */
export const GET = withPermission("customers.view", async (req: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) throw new AppError("NOT_FOUND", "No customer has this id.");
  const customer = await db.customer.findUnique({ where: { id }, select: { platformId: true } });
  if (!customer) throw new AppError("NOT_FOUND", "No customer has this id.");
  const sp = new URL(req.url).searchParams;
  const input = { range: sp.get("range") ?? undefined, from: sp.get("from") ?? undefined, to: sp.get("to") ?? undefined };
  const view = await resolveUsageView(db, id, input, new Date());
  // The page falls back to the current period on bad input; an export must not silently differ.
  if (view.error) throw new AppError("INVALID_INPUT", view.error.message, view.error.fieldErrors as Record<string, string>);
  const series = await getUsageSeries(db, id, view.range);
  const body = csvLine(header) + series.flatMap((s) => s.points.map((p) => csvLine([s.meterKey, p.t, p.quantity]))).join("");
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${csvFilename(`meterdesk-usage-${customer.platformId}-${view.from}-${view.to}-${view.range.bucket === "hour" ? "hourly" : "daily"}`)}"`,
      "cache-control": "no-store",
    },
  });
});
