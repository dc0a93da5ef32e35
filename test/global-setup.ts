// Integration tests run against a real PostgreSQL: TEST_DATABASE_URL when given, else an
// embedded server under .data-test/. A template database is migrated once; each test file
// clones it (test/db.ts) so files never see each other's rows.
import type { TestProject } from "vitest/node";
import net from "node:net";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../scripts/db/embedded";
import { applyMigrations } from "../scripts/db/engine";

let embedded: EmbeddedHandle | null = null;

async function freePort(from: number, to: number): Promise<number> {
  for (let port = from; port <= to; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${from} and ${to} for the test database`);
}

export const TEMPLATE_DB = "meterdesk_test_template";

export default async function setup(project: TestProject) {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    // A free port and a data directory of its own, so two test runs on one machine do not collide.
    const port = process.env.TEST_PG_PORT ? Number(process.env.TEST_PG_PORT) : await freePort(54401, 54449);
    embedded = await startEmbeddedPostgres({ dir: `.data-test/p${port}`, port, database: "postgres", quiet: true });
    serverUrl = embedded.url;
  }
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  // Drop leftovers of earlier runs, then build a fresh template from the migrations.
  const stale = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'mdtest_%' OR datname = $1", [TEMPLATE_DB]);
  for (const row of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  await client.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  await client.end();
  const templateUrl = new URL(admin);
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  await applyMigrations(templateUrl.toString());

  process.env.TEST_DATABASE_URL = admin.toString();
  project.provide("testServerUrl", admin.toString());

  return async () => {
    if (embedded) await embedded.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    testServerUrl: string;
  }
}
