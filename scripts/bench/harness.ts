// Small timing harness for `npm run bench`: medians over repeated runs, reported as ratios
// between our code path and the raw SQL that returns the same answer (bare times vary by
// machine; ratios say whether our layer adds more than it should).
import { performance } from "node:perf_hooks";

export async function median(label: string, runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: plans cached, pages in memory
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(times.length / 2)]!;
  console.log(`  ${label}: median ${m.toFixed(1)} ms over ${runs} runs`);
  return m;
}

export type Measurement = { name: string; ours_ms: number; baseline_ms: number; ratio: number; target: string; ok: boolean };

export function ratio(name: string, ours: number, baseline: number, target: { max?: number; min?: number }): Measurement {
  const r = ours / baseline;
  const ok = (target.max === undefined || r <= target.max) && (target.min === undefined || r >= target.min);
  const targetText = target.max !== undefined ? `≤ ${target.max}×` : target.min !== undefined ? `≥ ${target.min}` : "reported";
  console.log(`→ ${name}: ${r.toFixed(2)}× (target ${targetText}) ${ok ? "OK" : "MISSED"}`);
  return { name, ours_ms: round(ours), baseline_ms: round(baseline), ratio: round(r), target: targetText, ok };
}

const round = (n: number) => Math.round(n * 100) / 100;

type PlanNode = { "Node Type": string; "Relation Name"?: string; Plans?: PlanNode[] };

/** Relations a query plan reads with a sequential scan. */
export function seqScans(plan: PlanNode): string[] {
  const found: string[] = [];
  const walk = (n: PlanNode) => {
    if (n["Node Type"] === "Seq Scan" && n["Relation Name"]) found.push(n["Relation Name"]);
    n.Plans?.forEach(walk);
  };
  walk(plan);
  return found;
}

/**
 * Medians of two code paths timed alternately (A, B, A, B, …), so that whatever else the machine
 * is doing falls on both alike: the fair way to compare two fast queries on a shared machine.
 */
export async function pairedMedians(label: [string, string], runs: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    await a();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    await b();
    tb.push(performance.now() - t0);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const [ma, mb] = [med(ta), med(tb)];
  console.log(`  ${label[0]}: median ${ma.toFixed(2)} ms; ${label[1]}: median ${mb.toFixed(2)} ms (alternating, ${runs} runs each)`);
  return [ma, mb];
}
