// What is left of a grant, from the ledger alone (balance = sum of the ledger), read under a
// row lock on the grant so a void and an expiry of the same grant cannot both take the remainder.
// No "server-only": the worker's expiry run uses it.
import type { Prisma } from "@/lib/generated/prisma/client";

type Tx = Prisma.TransactionClient;

export type LockedGrant = {
  id: string;
  customerId: string;
  currency: string;
  status: "active" | "voided" | "expired" | "exhausted";
  amountMinor: bigint;
  providerGrantId: string | null;
  expiresAt: Date | null;
  remainingMinor: bigint;
  provider: "sandbox" | "orb" | "metronome" | "stripe";
};

export async function lockGrant(tx: Tx, grantId: string): Promise<LockedGrant | null> {
  const rows = await tx.$queryRaw<Array<Omit<LockedGrant, "remainingMinor">>>`
    SELECT g.id::text AS id, g.customer_id::text AS "customerId", g.currency, g.status::text AS status, g.amount_minor AS "amountMinor",
           g.provider_grant_id AS "providerGrantId", g.expires_at AS "expiresAt", c.provider::text AS provider
      FROM credit_grants g JOIN customers c ON c.id = g.customer_id
     WHERE g.id = ${grantId}::uuid
       FOR UPDATE OF g`;
  const g = rows[0];
  if (!g) return null;
  const sum = await tx.creditLedgerEntry.aggregate({ where: { grantId }, _sum: { amountMinor: true } });
  return { ...g, remainingMinor: sum._sum.amountMinor ?? 0n };
}
