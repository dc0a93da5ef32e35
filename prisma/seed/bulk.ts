// Bulk loading through pg: rows are buffered per table and sent as one
// INSERT ... SELECT * FROM unnest($1::type[], ...) per chunk. One statement is
// in flight per connection ("lane") while the next chunk is generated; parent tables flush
// before children (a table and its parents must share a lane).
import type pg from "pg";

export type Cell = string | number | boolean | null;
export type Column = { name: string; type: string };
/** `sql` overrides the generated INSERT (it receives one array parameter per column, in order). */
export type TableSpec = { table: string; columns: Column[]; parents?: string[]; sql?: string; chunkRows?: number; lane?: number };

export function col(name: string, type: string): Column {
  return { name, type };
}

class Buffer {
  readonly cols: Cell[][];
  rows = 0;
  /** Rows the buffered values will insert (a series row may expand to many). */
  weight = 0;
  constructor(readonly spec: TableSpec) {
    this.cols = spec.columns.map(() => []);
  }
  reset() {
    for (let i = 0; i < this.cols.length; i++) this.cols[i] = [];
    this.rows = 0;
    this.weight = 0;
  }
}

export class BulkLoader {
  private buffers = new Map<string, Buffer>();
  private inflight: Promise<unknown>[];
  readonly counts = new Map<string, number>();

  /** `clients[i]` carries the tables of lane i (lane 0 when the spec names none or that lane is missing). */
  constructor(
    private readonly clients: pg.ClientBase[],
    specs: TableSpec[],
    private readonly chunkRows = 10_000,
  ) {
    for (const s of specs) this.buffers.set(s.table, new Buffer(s));
    this.inflight = clients.map(() => Promise.resolve());
  }

  private lane(spec: TableSpec): number {
    return spec.lane !== undefined && spec.lane < this.clients.length ? spec.lane : 0;
  }

  /** Appends one row (values in the spec's column order); flushes the table when its chunk is full. */
  async add(table: string, row: Cell[], weight = 1): Promise<void> {
    const b = this.buffers.get(table);
    if (!b) throw new Error(`bulk: unknown table ${table}`);
    if (row.length !== b.cols.length) throw new Error(`bulk: ${table} expects ${b.cols.length} values, got ${row.length}`);
    for (let i = 0; i < row.length; i++) b.cols[i]!.push(row[i]!);
    b.rows++;
    b.weight += weight;
    if (b.weight >= (b.spec.chunkRows ?? this.chunkRows)) await this.flush(table);
  }

  /** Sends a table's buffered rows (after its parents'). Waits for the previous statement first. */
  async flush(table: string): Promise<void> {
    const b = this.buffers.get(table)!;
    for (const p of b.spec.parents ?? []) await this.flush(p);
    if (b.rows === 0) return;
    const { spec } = b;
    const names = spec.columns.map((c) => `"${c.name}"`).join(", ");
    const params = spec.columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(", ");
    const sql = spec.sql ?? `INSERT INTO "${spec.table}" (${names}) SELECT * FROM unnest(${params})`;
    const values = b.cols.slice();
    this.counts.set(table, (this.counts.get(table) ?? 0) + b.weight);
    b.reset();
    const lane = this.lane(spec);
    await this.inflight[lane];
    const q = this.clients[lane]!.query(sql, values);
    // Keep the rejection observable by the next await, not an unhandled rejection.
    this.inflight[lane] = q;
    q.catch(() => {});
  }

  async flushAll(): Promise<void> {
    for (const table of this.buffers.keys()) await this.flush(table);
    await Promise.all(this.inflight);
  }
}
