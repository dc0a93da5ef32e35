import { db } from "@/lib/server/db";
import { withPermission } from "@/lib/server/route";
import { AppError } from "@/lib/errors";
import { csvFilename, csvLine } from "@/lib/csv";
import { DATASETS, datasetTable, loadAdoption, rangeFromParams, type Dataset } from "../adoption-data";

export const dynamic = "force-dynamic";

/** CSV of one /plans table, for the same range as the page (the URL's from, to, interval, currency). */
export const GET = withPermission("customers.view", async (req) => {
  const url = new URL(req.url);
  const sp = Object.fromEntries(url.searchParams);
  const dataset = sp.dataset as Dataset;
  if (!DATASETS.includes(dataset)) throw new AppError("INVALID_INPUT", `Unknown dataset; choose one of ${DATASETS.join(", ")}.`, { dataset: "Unknown dataset." });
  const now = new Date();
  const { range, error } = rangeFromParams(sp, now);
  if (error) throw new AppError("INVALID_INPUT", error.message, error.fieldErrors);
  const table = datasetTable(await loadAdoption(db, range, now), range, dataset);
  const body = csvLine(table.header) + table.rows.map((r) => csvLine(r)).join("");
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${csvFilename(`meterdesk-plans-${dataset}`)}"`,
      "cache-control": "no-store",
    },
  });
});
