// Resolves the database to work on: DATABASE_URL when set, else the embedded server.
import { startEmbeddedPostgres } from "./embedded";

export async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return fn(process.env.DATABASE_URL);
  const pg = await startEmbeddedPostgres();
  try {
    return await fn(pg.url);
  } finally {
    await pg.stop();
  }
}
