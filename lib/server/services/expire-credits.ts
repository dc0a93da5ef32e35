// Expiry: every active grant past its expires_at gets an 'expiration' ledger entry for what is
// left of it and is marked expired. Each grant in its own transaction, under a row lock, so a
// rerun (or two workers at once) writes nothing twice. The provider expires its own copy of the
// grant (it was sent with the same expiry), so no provider operation is needed.
// No "server-only": the worker runs it periodically.
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { lockGrant } from "./grant-remaining";

export async function expireCredits(db: Db, now = new Date(), opts: { limit?: number } = {}): Promise<{ expired: number; amountsByCurrency: Record<string, string> }> {
  const due = await db.creditGrant.findMany({
    where: { status: "active", expiresAt: { lte: now } },
    select: { id: true },
    orderBy: { expiresAt: "asc" },
    take: opts.limit ?? 1_000,
  });
  let expired = 0;
  const totals = new Map<string, bigint>();
  for (const { id } of due) {
    const done = await db.$transaction(async (tx) => {
      const grant = await lockGrant(tx, id);
      if (!grant || grant.status !== "active" || !grant.expiresAt || grant.expiresAt > now) return null;
      if (grant.remainingMinor > 0n) {
        await tx.creditLedgerEntry.create({
          data: { customerId: grant.customerId, grantId: grant.id, kind: "expiration", currency: grant.currency, amountMinor: -grant.remainingMinor, note: "Expired unused" },
        });
      }
      await tx.creditGrant.update({ where: { id: grant.id }, data: { status: "expired" } });
      await recordAudit(tx, null, {
        action: "credit.expired",
        targetType: "credit_grant",
        targetId: grant.id,
        customerId: grant.customerId,
        before: { status: "active", remainingMinor: grant.remainingMinor },
        after: { status: "expired", expiredMinor: grant.remainingMinor, expiresAt: grant.expiresAt },
      });
      return grant;
    });
    if (done) {
      expired++;
      totals.set(done.currency, (totals.get(done.currency) ?? 0n) + done.remainingMinor);
    }
  }
  return { expired, amountsByCurrency: Object.fromEntries([...totals].map(([c, v]) => [c, v.toString()])) };
}
