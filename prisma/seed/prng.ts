// Deterministic randomness for the demo data: sfc32 seeded by a 128-bit hash, plus helpers.
// Every random choice in the seed goes through a Rng, so seed + `now` fix the data.

export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, maxInclusive: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks a key by weight. */
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** exp(N(mu, sigma)). */
  logNormal(mu: number, sigma: number): number;
  /** A v4-shaped UUID from the stream. */
  uuid(): string;
  /** `n` lowercase base36 characters. */
  base36(n: number): string;
};

/**
 * sfc32 (Small Fast Counting, 128-bit state): streams seeded differently do not overlap in
 * practice, which a 32-bit-state generator (mulberry32) cannot promise once there are
 * millions of draws; ids drawn from it must never collide.
 */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  let s0 = a >>> 0, s1 = b >>> 0, s2 = c >>> 0, s3 = d >>> 0;
  const next = () => {
    const t = (((s0 + s1) >>> 0) + s3) >>> 0;
    s3 = (s3 + 1) >>> 0;
    s0 = s1 ^ (s1 >>> 9);
    s1 = (s2 + (s2 << 3)) >>> 0;
    s2 = ((s2 << 21) | (s2 >>> 11)) >>> 0;
    s2 = (s2 + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // warm up
  return next;
}

/** 128-bit hash (cyrb128) of the seed and a stream's name/number parts: the stream's sfc32 state. */
export function deriveState(seed: number, ...parts: (string | number)[]): [number, number, number, number] {
  const str = [seed, ...parts].join("\u001f");
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const HEX = "0123456789abcdef";
const B36 = "0123456789abcdefghijklmnopqrstuvwxyz";

export function createRng(seed: number, ...parts: (string | number)[]): Rng {
  const next = sfc32(...deriveState(seed, ...parts));
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted(weights) {
      const entries = Object.entries(weights) as [keyof typeof weights, number][];
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [k, w] of entries) {
        r -= w;
        if (r < 0) return k;
      }
      return entries[entries.length - 1]![0];
    },
    normal() {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    logNormal: (mu, sigma) => Math.exp(mu + sigma * rng.normal()),
    uuid() {
      // 128 random bits from four 32-bit draws, then the v4 version and variant bits.
      let hex = "";
      for (let w = 0; w < 4; w++) hex += Math.floor(next() * 4294967296).toString(16).padStart(8, "0");
      const variant = HEX[8 + (parseInt(hex[16]!, 16) & 3)];
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
    base36(n) {
      let s = "";
      for (let i = 0; i < n; i++) s += B36[Math.floor(next() * 36)];
      return s;
    },
  };
  return rng;
}
