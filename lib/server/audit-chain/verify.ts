// Verifies the audit chain: every event's prev_hash is the previous event's hash, and its hash
// is what the database's meterdesk_audit_hash() computes from its content now. No "server-only"
// import: the audit:verify command runs it outside Next.
import type pg from "pg";

export type ChainVerification =
  | { ok: true; events: number; lastId: string | null }
  | { ok: false; events: number; brokenId: string; problem: "content changed" | "chain broken" };

type Queryable = Pick<pg.Pool, "query">;

export async function verifyAuditChain(client: Queryable, batchSize = 5000): Promise<ChainVerification> {
  let previousHash = "";
  let afterId = "0";
  let events = 0;
  for (;;) {
    const { rows } = await client.query<{ id: string; hash: string; prev_hash: string; expected: string }>(
      `SELECT e.id::text AS id, e.hash, e.prev_hash, meterdesk_audit_hash(e) AS expected
         FROM audit_events e WHERE e.id > $1::bigint ORDER BY e.id LIMIT $2`,
      [afterId, batchSize],
    );
    for (const row of rows) {
      if (row.prev_hash !== previousHash) return { ok: false, events, brokenId: row.id, problem: "chain broken" };
      if (row.hash !== row.expected) return { ok: false, events, brokenId: row.id, problem: "content changed" };
      previousHash = row.hash;
      afterId = row.id;
      events += 1;
    }
    if (rows.length < batchSize) return { ok: true, events, lastId: events ? afterId : null };
  }
}
