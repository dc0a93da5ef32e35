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

  it("says clearly what a real provider is missing", () => {
    expect(() => getBillingProvider(db, { BILLING_PROVIDER: "orb" })).toThrow(ProviderNotConfiguredError);
    expect(() => getBillingProvider(db, { BILLING_PROVIDER: "orb" })).toThrow("ORB_API_KEY is not set");
    expect(() => getBillingProvider(db, { BILLING_PROVIDER: "metronome", METRONOME_BEARER_TOKEN: "t" })).toThrow("METRONOME_CATALOG or METRONOME_CATALOG_FILE is not set");
    expect(() => getBillingProvider(db, { BILLING_PROVIDER: "stripe", STRIPE_SECRET_KEY: "sk_test_x", STRIPE_CATALOG: "{not json" })).toThrow("not valid JSON");
  });

  it("builds each real adapter from its key, base URL and catalog mapping", () => {
    const catalog = JSON.stringify({ plans: {}, meters: {} });
    expect(getBillingProvider(db, { BILLING_PROVIDER: "orb", ORB_API_KEY: "k", ORB_BASE_URL: "http://127.0.0.1:9", ORB_CATALOG: catalog }).kind).toBe("orb");
    expect(getBillingProvider(db, { BILLING_PROVIDER: "metronome", METRONOME_BEARER_TOKEN: "k", METRONOME_CATALOG: catalog }).kind).toBe("metronome");
    expect(getBillingProvider(db, { BILLING_PROVIDER: "stripe", STRIPE_SECRET_KEY: "sk_test_x", STRIPE_BASE_URL: "http://127.0.0.1:9", STRIPE_CATALOG: catalog }).kind).toBe("stripe");
  });

  it("rejects an unknown provider name", () => {
    expect(() => getBillingProvider(db, { BILLING_PROVIDER: "paypal" })).toThrow(/not a known billing provider/);
  });
});
