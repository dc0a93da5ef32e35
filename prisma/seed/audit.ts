// Audit events for seeded actions, inserted in chronological order so the database trigger
// chains them (it fills id, prev_hash and hash; the values passed for those are placeholders).
import type pg from "pg";
import type { AuditRow } from "./invoices";

export async function insertAudit(client: pg.ClientBase, rows: AuditRow[]): Promise<number> {
  const sorted = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.at.getTime() - b.r.at.getTime() || a.i - b.i)
    .map((x) => x.r);
  const CHUNK = 5_000;
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const part = sorted.slice(i, i + CHUNK);
    await client.query(
      `INSERT INTO "audit_events" ("occurred_at", "actor_id", "actor_email", "actor_role", "action", "target_type", "target_id",
         "customer_id", "after", "reason", "prev_hash", "hash")
       SELECT t.at, t.actor_id, t.actor_email, t.actor_role, t.action, t.target_type, t.target_id, t.customer_id, t.after, t.reason, '', 'pending-' || t.ord
       FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::jsonb[], $10::text[])
         WITH ORDINALITY AS t(at, actor_id, actor_email, actor_role, action, target_type, target_id, customer_id, after, reason, ord)
       ORDER BY t.ord`,
      [
        part.map((r) => r.at.toISOString()), part.map((r) => r.actorId), part.map((r) => r.actorEmail), part.map((r) => r.actorRole),
        part.map((r) => r.action), part.map((r) => r.targetType), part.map((r) => r.targetId), part.map((r) => r.customerId),
        part.map((r) => JSON.stringify(r.after ?? null)), part.map((r) => r.reason),
      ],
    );
  }
  return sorted.length;
}
