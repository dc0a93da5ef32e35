import Metronome from "@metronome/sdk";
import Orb from "orb-billing";
import { describe, expect, it } from "vitest";
import { signMetronomeWebhook, verifyMetronomeWebhook } from "../metronome/webhook";
import { signOrbWebhook, verifyOrbWebhook } from "../orb/webhook";
import { ProviderError } from "../types";
import {
  classifyFailure, jsonNumberToDecimal, majorDecimalToMinor, majorNumberToMinor, minorNumberToMinor, minorToIntegerNumber, minorToMajorNumber, parseRetryAfter,
} from "./edge";

describe("money at the provider edge", () => {
  it("turns Orb decimal strings into minor units with one half-even rounding", () => {
    expect(majorDecimalToMinor("69.99615", "USD")).toBe(BigInt(7000));
    expect(majorDecimalToMinor("0.125", "USD")).toBe(BigInt(12));
    expect(majorDecimalToMinor("0.135", "USD")).toBe(BigInt(14));
    expect(majorDecimalToMinor("-10.005", "USD")).toBe(BigInt(-1000));
    expect(majorDecimalToMinor("1200", "JPY")).toBe(BigInt(1200));
    expect(() => majorDecimalToMinor("1e3", "USD")).toThrow(ProviderError);
  });

  it("converts JSON numbers through their decimal text, never by float arithmetic", () => {
    expect(jsonNumberToDecimal(1234.5)).toBe("1234.5");
    expect(() => minorNumberToMinor(0.1 + 0.2)).toThrow(/15 significant digits/);
    expect(majorNumberToMinor(1234567.89, "USD")).toBe(BigInt(123456789));
    expect(minorNumberToMinor(6999.5)).toBe(BigInt(7000));
    expect(minorNumberToMinor(6998.5)).toBe(BigInt(6998));
    expect(() => minorNumberToMinor(1e21)).toThrow(ProviderError);
    expect(() => minorNumberToMinor(Number.NaN)).toThrow(ProviderError);
  });

  it("sends minor units as exact JSON numbers or refuses", () => {
    expect(minorToMajorNumber(BigInt(123456789), "USD")).toBe(1234567.89);
    expect(minorToMajorNumber(BigInt(1050), "USD")).toBe(10.5);
    expect(minorToMajorNumber(BigInt(1200), "JPY")).toBe(1200);
    expect(() => minorToMajorNumber(BigInt("1234567890123456789"), "USD")).toThrow(ProviderError);
    expect(minorToIntegerNumber(BigInt(25000))).toBe(25000);
    expect(() => minorToIntegerNumber(BigInt("9007199254740993"))).toThrow(ProviderError);
  });
});

describe("failure classification", () => {
  const kind = (write: boolean, f: Parameters<typeof classifyFailure>[2]) => classifyFailure("orb", write, f).kind;
  it("tells lost writes (unknown outcome) from reads (transient)", () => {
    expect(kind(true, { type: "timeout", message: "" })).toBe("unknown_outcome");
    expect(kind(false, { type: "timeout", message: "" })).toBe("transient");
    expect(kind(true, { type: "connection", message: "" })).toBe("unknown_outcome");
    expect(kind(true, { type: "bad_response", message: "" })).toBe("unknown_outcome");
    expect(kind(true, { type: "status", status: 500, message: "" })).toBe("unknown_outcome");
    expect(kind(true, { type: "status", status: 503, message: "" })).toBe("transient");
    expect(kind(true, { type: "status", status: 409, message: "" })).toBe("conflict");
    expect(kind(true, { type: "status", status: 400, idempotencyConflict: true, message: "" })).toBe("conflict");
    expect(kind(true, { type: "status", status: 404, message: "" })).toBe("not_found");
    expect(kind(true, { type: "status", status: 422, message: "" })).toBe("permanent");
    expect(classifyFailure("stripe", true, { type: "status", status: 429, retryAfter: "3", message: "" }).details.retryAfterMs).toBe(3000);
  });
  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("webhook signatures agree with the official SDKs' verifiers", () => {
  const body = JSON.stringify({ id: "evt_1", type: "invoice.issued" });
  it("Orb", () => {
    const ts = new Date().toISOString().replace("Z", "");
    const headers = new Headers({ "x-orb-timestamp": ts, "x-orb-signature": signOrbWebhook(body, ts, "s3cret") });
    expect(verifyOrbWebhook(body, headers, "s3cret")).toEqual({ ok: true });
    expect(() => new Orb({ apiKey: "x", webhookSecret: "s3cret" }).webhooks.verifySignature(body, Object.fromEntries(headers))).not.toThrow();
    expect(verifyOrbWebhook(body, headers, "other")).toEqual({ ok: false, reason: "bad_signature" });
  });
  it("Metronome", () => {
    const date = new Date().toUTCString();
    const headers = new Headers({ "x-metronome-date": date, "metronome-webhook-signature": signMetronomeWebhook(body, date, "s3cret") });
    expect(verifyMetronomeWebhook(body, headers, "s3cret")).toEqual({ ok: true });
    expect(() => new Metronome({ bearerToken: "x", webhookSecret: "s3cret" }).webhooks.verifySignature(body, Object.fromEntries(headers))).not.toThrow();
    expect(verifyMetronomeWebhook(body, headers, "s3cret", Date.now() + 10 * 60_000)).toEqual({ ok: false, reason: "stale_timestamp" });
  });
});
