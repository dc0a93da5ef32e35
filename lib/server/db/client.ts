// Prisma client over the pg driver adapter. No "server-only" import here so scripts and tests
// (which run outside Next) can create clients too.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "@/lib/generated/prisma/client";

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
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Db, pg.Pool>();

/**
 * Reads of tens of thousands of rows (the batch previews) straight on the client's pg pool:
 * Prisma's decoding of each raw row costs more than the database's work for it. The query is
 * built with Prisma.sql as usual. Rows come as pg returns them: int8 as a string, so callers
 * read such a column with BigInt() or cast it in SQL; a client made elsewhere goes through
 * Prisma (int8 as a bigint), which BigInt() reads the same.
 */
export async function bulkRead<T>(db: Db, query: Prisma.Sql): Promise<T[]> {
  const pool = pools.get(db);
  if (!pool) return db.$queryRaw<T[]>(query);
  return (await pool.query(query.text, query.values as unknown[])).rows as T[];
}

/** bulkRead's statements in one transaction (for SET LOCAL and temporary tables), on one connection. */
export async function bulkTransaction<R>(db: Db, fn: (read: <T>(query: Prisma.Sql) => Promise<T[]>) => Promise<R>): Promise<R> {
  const pool = pools.get(db);
  if (!pool) return db.$transaction((tx) => fn(<T>(query: Prisma.Sql) => tx.$queryRaw<T[]>(query)), { maxWait: 60_000, timeout: 10 * 60_000 });
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await fn(async <T>(query: Prisma.Sql) => (await client.query(query.text, query.values as unknown[])).rows as T[]);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query("ROLLBACK").catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * A statement with positional parameters ($1, $2, …) straight on the client's pg pool, for bulk
 * writes of megabytes of parameters, where Prisma's handling of each parameter costs more than
 * the statement. Outside a transaction only; a client made elsewhere goes through Prisma.
 */
export async function bulkExecute(db: Db, sql: string, params: unknown[]): Promise<number> {
  const pool = pools.get(db);
  if (!pool) return db.$executeRawUnsafe(sql, ...params);
  return (await pool.query(sql, params)).rowCount ?? 0;
}
