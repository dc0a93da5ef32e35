// Prisma's schema engine, compiled to WebAssembly, driven through the pg driver adapter.
// The CLI's native engine is a download that fails offline; the WASM build ships in npm.
import { readFile, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from "@prisma/driver-adapter-utils";
import { AsyncLocalStorage } from "node:async_hooks";

const charColumnsStore = new AsyncLocalStorage<number[]>();

export const root = path.resolve(import.meta.dirname, "../..");
export const schemaPath = path.join(root, "prisma", "schema.prisma");
export const migrationsDir = path.join(root, "prisma", "migrations");

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;

/**
 * The pg adapter runs a migration script by splitting it on ";", which breaks function bodies
 * (triggers, plpgsql). Send the whole script in one simple query instead: PostgreSQL runs it
 * as one implicit transaction, so a failing migration leaves nothing half-applied.
 */
class WholeScriptPg extends PrismaPg {
  constructor(private readonly connectionString: string) {
    super({ connectionString, max: 4 });
  }
  private patch(adapter: PgAdapter): PgAdapter {
    const onError = (adapter as unknown as { onError: (e: unknown) => never }).onError.bind(adapter);
    adapter.executeScript = async (script: string) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (error) {
        onError(error);
      }
    };
    // The engine reads catalog columns of PostgreSQL's internal "char" type (oid 18), which the
    // adapter does not map. Describe them as text to the adapter, then as Character to the engine.
    const io = adapter as unknown as {
      performIO: (q: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;
      queryRaw: (q: unknown) => Promise<{ columnTypes: number[] }>;
    };
    const performIO = io.performIO.bind(adapter);
    const queryRaw = io.queryRaw.bind(adapter);
    io.performIO = async (query) => {
      const result = await performIO(query);
      const charColumns = charColumnsStore.getStore();
      result.fields.forEach((field, i) => {
        if (field.dataTypeID !== 18) return;
        field.dataTypeID = 25;
        charColumns?.push(i);
      });
      return result;
    };
    io.queryRaw = (query) => {
      const charColumns: number[] = [];
      return charColumnsStore.run(charColumns, async () => {
        const result = await queryRaw(query);
        for (const i of charColumns) result.columnTypes[i] = ColumnTypeEnum.Character;
        return result;
      });
    };
    return adapter;
  }
  /** Adapters handed to the engine; their pools are ended when the engine's work is done. */
  readonly opened: PgAdapter[] = [];
  override async connect() {
    const adapter = this.patch(await super.connect());
    this.opened.push(adapter);
    return adapter;
  }
  // The stock shadow database connects by `database`, which a connection string overrides:
  // build the shadow URL ourselves, and drop the database when the engine lets go of it.
  override async connectToShadowDb() {
    const main = await this.connect();
    const name = `meterdesk_shadow_${randomUUID().replace(/-/g, "")}`;
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const url = new URL(this.connectionString);
    url.pathname = `/${name}`;
    const shadow = await new PrismaPg({ connectionString: url.toString(), max: 2 }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await shadow.underlyingDriver().end().catch(() => {});
      await main.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await main.dispose();
    };
    return this.patch(shadow);
  }
}

type Engine = {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string }>;
  applyMigrations(params: unknown): Promise<{ appliedMigrationNames: string[] }>;
};

let lastPanic = "";
// The engine reports a Rust panic's message here before it throws.
(globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
  set_message: (message: string) => {
    lastPanic = message;
    console.error(`schema engine panic: ${message}`);
  },
};
export const lastEnginePanic = () => lastPanic;

// One WebAssembly instance per process: the generated bindings keep module-level state, so a
// second instantiation would leave them pointing at the wrong memory.
let wasmModule: ReturnType<typeof instantiateWasm> | null = null;
function loadWasmModule() {
  wasmModule ??= instantiateWasm();
  return wasmModule;
}

async function instantiateWasm() {
  const require = createRequire(import.meta.url);
  const bgPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const pkgDir = path.dirname(bgPath);
  // Instantiate the .wasm ourselves: a plain import of it needs --experimental-wasm-modules on Node 20.
  const bg = await import(pathToFileURL(bgPath).href);
  const bytes = await readFile(path.join(pkgDir, "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  return bg as { SchemaEngine: { new: (o: unknown, cb: (m: string) => void, a: unknown) => Promise<Engine> } };
}

export async function withSchemaEngine<T>(connectionString: string, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const schemaText = await readFile(schemaPath, "utf8");
  {
    const { SchemaEngine } = await loadWasmModule();
    // A config (not a pool) so the engine can also open a shadow database for diffs.
    const factory = new WholeScriptPg(connectionString);
    const wrapped = bindMigrationAwareSqlAdapterFactory(factory);
    try {
      const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schemaText]] }, () => {}, wrapped);
      return await fn(engine);
    } finally {
      // Otherwise the pools keep connections open (and the process waits on an advisory lock).
      await Promise.all(factory.opened.map((a) => a.underlyingDriver().end().catch(() => {})));
    }
  }
}

export async function readMigrationsList() {
  const dirs = existsSync(migrationsDir)
    ? (await readdir(migrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : [];
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  return {
    baseDir: migrationsDir,
    lockfile: { path: "migration_lock.toml", content: existsSync(lockPath) ? await readFile(lockPath, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      dirs.map(async (name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: { tag: "ok", value: await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8") },
        },
      })),
    ),
  };
}

export const noFilters = { externalTables: [], externalEnums: [] };

/** SQL that takes the migrations folder to the schema; empty when they agree. */
export async function diffMigrationsToSchema(connectionString: string): Promise<string> {
  const schemaText = await readFile(schemaPath, "utf8");
  const migrationsList = await readMigrationsList();
  return withSchemaEngine(connectionString, async (engine) => {
    const from = migrationsList.migrationDirectories.length ? { tag: "migrations", ...migrationsList } : { tag: "empty" };
    const result = await engine.diff({
      from,
      to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schemaText }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    return result.stdout;
  });
}

export async function applyMigrations(connectionString: string): Promise<string[]> {
  const migrationsList = await readMigrationsList();
  return withSchemaEngine(connectionString, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return out.appliedMigrationNames;
  });
}
