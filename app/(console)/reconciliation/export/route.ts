import { db } from "@/lib/server/db";
import { withPermission } from "@/lib/server/route";
import { AppError } from "@/lib/errors";
import { csvFilename, csvLine } from "@/lib/csv";
import { toMajorString } from "@/lib/billing";
import { getBillingProvider } from "@/lib/providers";
import { listDiscrepancies, parseReconRange } from "@/lib/server/queries/reconciliation";

export const dynamic = "force-dynamic";

/** CSV of every differing (customer, meter, day) in the range, as on /reconciliation. */
export const GET = withPermission("reconciliation.view", async (req) => {
  const url = new URL(req.url);
  const { range, error } = parseReconRange({ from: url.searchParams.get("from") ?? undefined, to: url.searchParams.get("to") ?? undefined }, new Date());
  if (error) throw new AppError("INVALID_INPUT", error.message, error.fieldErrors);
  const list = await listDiscrepancies(db, getBillingProvider(db), range);
  let body = csvLine(["customer", "platform_id", "meter", "day_utc", "meterdesk_quantity", "provider_quantity", "difference", "meter_impact", "currency"]);
  for (const g of list.discrepancies) {
    for (const x of g.days) {
      body += csvLine([g.customerName, g.platformId, g.meterKey, x.day, x.platform, x.provider ?? "", x.difference,
        g.impactMinor === null ? "" : toMajorString({ amountMinor: BigInt(g.impactMinor), currency: g.currency }), g.currency]);
    }
  }
  return new Response(body, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${csvFilename("meterdesk-reconciliation")}"`, "cache-control": "no-store" },
  });
});
