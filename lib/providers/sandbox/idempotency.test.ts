import { describe, expect, it } from "vitest";
import { canonicalJson, requestHash } from "./idempotency";

describe("canonical request bodies", () => {
  it("ignores key order and undefined fields, and writes bigints and dates exactly", () => {
    const a = { b: BigInt("12345678901234567890"), a: new Date("2026-01-01T00:00:00Z"), c: { y: 1, x: [2, undefined] }, d: undefined };
    expect(canonicalJson(a)).toBe('{"a":"2026-01-01T00:00:00.000Z","b":"12345678901234567890","c":{"x":[2,null],"y":1}}');
    expect(requestHash("credit.grant", a)).toBe(requestHash("credit.grant", { c: { x: [2, undefined], y: 1 }, a: a.a, b: a.b }));
  });

  it("tells bodies and operations apart", () => {
    expect(requestHash("credit.grant", { amountMinor: BigInt(100) })).not.toBe(requestHash("credit.grant", { amountMinor: BigInt(101) }));
    expect(requestHash("credit.grant", {})).not.toBe(requestHash("credit.void", {}));
  });
});
