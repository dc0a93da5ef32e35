import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "./worker";

describe("backoffDelayMs", () => {
  it("draws uniformly below base·2^(attempt−1), capped, with full jitter", () => {
    expect(backoffDelayMs(1, { random: () => 0.5 })).toBe(500);
    expect(backoffDelayMs(4, { random: () => 0.5 })).toBe(4_000);
    expect(backoffDelayMs(4, { random: () => 0 })).toBe(0);
    expect(backoffDelayMs(30, { random: () => 0.999999 })).toBeLessThan(300_000);
    expect(backoffDelayMs(30, { random: () => 0.5 })).toBe(150_000);
    expect(backoffDelayMs(3, { random: () => 0.5, baseDelayMs: 10, maxDelayMs: 20 })).toBe(10);
  });

  it("waits at least the provider's Retry-After", () => {
    expect(backoffDelayMs(1, { random: () => 0.5, retryAfterMs: 30_000 })).toBe(30_000);
    expect(backoffDelayMs(12, { random: () => 0.5, retryAfterMs: 1_000 })).toBe(150_000);
  });
});
