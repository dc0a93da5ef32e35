import { after } from "next/server";
import { db } from "@/lib/server/db";
import { errorResponse } from "@/lib/server/route";
import { handleUsageIngest } from "@/lib/server/services/ingest-usage";
import { rollUpUsage } from "@/lib/server/services/roll-up-usage";

export const dynamic = "force-dynamic";

/**
 * Usage ingest for the platform: `Authorization: Bearer <API token with usage:write>`, body
 * `{ events: [{ id, customer, meter, timestamp, quantity }] }` (≤ 5,000 events, ≤ 2 MB). Answers
 * per event: accepted, duplicate or rejected with a reason. Authenticated by API token, not by a
 * staff session (tokens are created and revoked by admins in /settings).
 * Accepted events reach the usage rollups through the roll-up job: the worker runs it every
 * second, and a run is asked for here once the answer has gone out, so charts catch up at once.
 */
export async function POST(req: Request): Promise<Response> {
  try {
    return await handleUsageIngest(db, req, new Date(), {
      onStored: () =>
        after(() =>
          rollUpUsage(db).catch((error) => console.error(`[usage roll-up] ${error instanceof Error ? error.message : String(error)}`)),
        ),
    });
  } catch (error) {
    return errorResponse(error);
  }
}
