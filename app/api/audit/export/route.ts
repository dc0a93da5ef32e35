import { withPermission } from "@/lib/server/route";
import { auditQuerySchema, auditRowsForExport } from "@/lib/server/queries/audit";
import { csvFilename, csvLine } from "@/lib/csv";

export const dynamic = "force-dynamic";

const header = ["id", "occurred_at_utc", "actor_email", "actor_role", "action", "target_type", "target_id", "customer_id", "customer_name", "before", "after", "reason", "request_id"];

/** CSV of exactly the events the filters select, streamed in batches. */
export const GET = withPermission("audit.view", async (req) => {
  const url = new URL(req.url);
  const query = auditQuerySchema.parse(Object.fromEntries(url.searchParams));
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(csvLine(header)));
      for await (const batch of auditRowsForExport(query)) {
        const text = batch
          .map((e) => csvLine([e.id, e.occurredAt, e.actorEmail, e.actorRole, e.action, e.targetType, e.targetId, e.customerId, e.customerName, e.before, e.after, e.reason, e.requestId]))
          .join("");
        controller.enqueue(encoder.encode(text));
      }
      controller.close();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${csvFilename("meterdesk-audit")}"`,
      "cache-control": "no-store",
    },
  });
});
