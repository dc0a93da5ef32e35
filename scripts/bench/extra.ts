// Benchmarks that features add (usage tab, review queue, ingest): each returns its ratios.
import type pg from "pg";
import type { Db } from "../../lib/server/db/client";
import type { Measurement } from "./harness";

export type BenchContext = {
  db: Db;
  pool: pg.Pool;
  customerId: string;
  at: Date;
  runs: number;
  explain: (name: string, sql: string, params: unknown[]) => Promise<void>;
};

export const extraBenchmarks: Array<{ title: string; run: (ctx: BenchContext) => Promise<Measurement[]> }> = [];
