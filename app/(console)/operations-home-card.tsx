import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/server/db";
import { outboxStats } from "@/lib/server/outbox/stats";
import type { Actor } from "@/lib/server/session";

/** Failed provider syncs for those who can retry them, and the outbox's health for admins. */
export async function OperationsHomeCard({ actor }: { actor: Actor }) {
  const admin = can(actor.role, "admin.manage");
  if (!admin && !can(actor.role, "credits.issue")) return null;
  const stats = await outboxStats(db);
  if (!admin && stats.failed === 0) return null;
  const oldest = stats.oldestPendingAgeMs === null ? "none" : `${Math.round(stats.oldestPendingAgeMs / 60_000)} min`;
  return (
    <section aria-labelledby="ops-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="ops-heading" className="text-base font-semibold">Provider syncs</h2>
      <p className="mt-1 text-sm">
        {stats.failed > 0 ? (
          <span className="text-red-800">
            {stats.failed.toLocaleString("en-US")} failed ({Object.entries(stats.failuresByKind).map(([k, n]) => `${k} ${n}`).join(", ")}).{" "}
            <Link className="underline" href="/credits">Review and retry</Link>
          </span>
        ) : (
          "No failed syncs."
        )}{" "}
        {admin ? (
          <>
            Outbox: {stats.depth.toLocaleString("en-US")} waiting, oldest {oldest}. <Link className="text-indigo-700 underline" href="/settings">Billing health</Link>
          </>
        ) : null}
      </p>
    </section>
  );
}
