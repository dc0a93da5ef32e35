import { describe, expect, it } from "vitest";
import { createRng, deriveState, sfc32 } from "./prng";

describe("seed PRNG", () => {
  it("repeats the same stream for the same seed and differs across sub-streams", () => {
    const a = sfc32(...deriveState(7, "x"));
    const b = sfc32(...deriveState(7, "x"));
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
    expect(createRng(1, "customer", 1).next()).not.toBe(createRng(1, "customer", 2).next());
  });

  it("draws no duplicate UUIDs across many streams", () => {
    const seen = new Set<string>();
    for (let s = 0; s < 2000; s++) {
      const rng = createRng(1, "stream", s);
      for (let i = 0; i < 100; i++) seen.add(rng.uuid());
    }
    expect(seen.size).toBe(200_000);
  });

  it("draws v4-shaped UUIDs and bounded integers", () => {
    const rng = createRng(99, "t");
    for (let i = 0; i < 200; i++) {
      expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const n = rng.int(3, 5);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
    }
  });
});
