// The e2e database (started by scripts/e2e-server.ts), for factories and for asserting what
// was — or was not — written.
import pg from "pg";

export const e2eDatabaseUrl =
  process.env.E2E_DATABASE_URL ?? `postgresql://postgres:meterdesk@127.0.0.1:${process.env.E2E_PG_PORT ?? 54369}/meterdesk_e2e`;

let pool: pg.Pool | null = null;
export function e2eDb(): pg.Pool {
  pool ??= new pg.Pool({ connectionString: e2eDatabaseUrl, max: 3 });
  return pool;
}

export async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await e2eDb().query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) q`, params);
  return Number(rows[0]!.n);
}
