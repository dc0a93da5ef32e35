import { db } from "@/lib/server/db";
import { errorResponse } from "@/lib/server/route";
import { handleUsageIngest } from "@/lib/server/services/ingest-usage";

export const dynamic = "force-dynamic";

/**
 * Usage ingest for the platform: `Authorization: Bearer <API token with usage:write>`, body
 * `{ events: [{ id, customer, meter, timestamp, quantity }] }` (≤ 5,000 events, ≤ 2 MB). Answers
 * per event: accepted, duplicate or rejected with a reason. Authenticated by API token, not by a
 * staff session (tokens are created and revoked by admins in /settings).
 */
export async function POST(req: Request): Promise<Response> {
  try {
    return await handleUsageIngest(db, req);
  } catch (error) {
    return errorResponse(error);
  }
}
