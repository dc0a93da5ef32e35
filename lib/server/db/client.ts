// Prisma client over the pg driver adapter. No "server-only" import here so scripts and tests
// (which run outside Next) can create clients too.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";

export type Db = PrismaClient;

export function createPrismaClient(connectionString = process.env.DATABASE_URL): Db {
  // Constructing must not throw when DATABASE_URL is unset: `next build` imports server
  // modules while collecting page data. The first query then fails with a clear error.
  const pool = new pg.Pool({
    connectionString: connectionString ?? "postgresql://unset-database-url.invalid/meterdesk",
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  // An idle connection closed by the server (restart, failover) must not crash the process:
  // the pool drops it and opens a new one on the next query.
  pool.on("error", (error) => console.error("[db] idle connection error:", error.message));
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}
