import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/server/db/client";
import { configuredProviderKind, getBillingProvider, ProviderNotConfiguredError } from "./index";

// The sandbox provider only touches the database when called: a stand-in is enough here.
const db = {} as Db;

describe("getBillingProvider", () => {
  it("defaults to the sandbox", () => {
    expect(getBillingProvider(db, {}).kind).toBe("sandbox");
    expect(getBillingProvider(db, { BILLING_PROVIDER: " Sandbox " }).kind).toBe("sandbox");
    expect(configuredProviderKind({ BILLING_PROVIDER: "" })).toBe("sandbox");
  });

  it("says clearly that orb, metronome and stripe are not configured yet", () => {
    for (const kind of ["orb", "metronome", "stripe"]) {
      expect(() => getBillingProvider(db, { BILLING_PROVIDER: kind })).toThrow(ProviderNotConfiguredError);
      expect(() => getBillingProvider(db, { BILLING_PROVIDER: kind })).toThrow(`the ${kind} adapter is not configured yet`);
    }
  });

  it("rejects an unknown provider name", () => {
    expect(() => getBillingProvider(db, { BILLING_PROVIDER: "paypal" })).toThrow(/not a known billing provider/);
  });
});
