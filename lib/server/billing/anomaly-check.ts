// Applies every invoice-preview anomaly rule (lib/billing/anomalies*.ts) to one customer's
// previews and history, with the thresholds finance admins set in `settings` (keys
// `anomaly.*`), and returns the flags with a one-line explanation each. The rules themselves are
// pure and tested in lib/billing; this file owns the wiring: which numbers feed which rule, the
// settings keys and their defaults, and the JSON-safe form stored in invoice_preview_snapshots.
// No "server-only": the recompute job runs in the worker too.
import {
  creditsAboveCharges,
  missingUsageDays,
  negativeLine,
  shadowMismatch,
  totalAboveLastInvoice,
  usageSpike,
  zeroInvoiceWithUsage,
  toNonNegativeDecimal,
  formatMoney,
  type AnomalyFinding,
  type InvoiceLine,
  type ComparableLine, type ComparablePreview,
  type Period,
} from "@/lib/billing";
import type { Db } from "../db/client";

export type AnomalyThresholds = {
  totalAboveLast: { multiplier: string; floorMinor: bigint };
  creditsAboveCharges: { ratio: string };
  zeroInvoiceWithUsage: { minQuantity: string };
  negativeLine: { allowedKinds: string[] };
  missingUsageDays: { minUsualCoverage: string; minMissingDays: number; minHistoryDays: number; historyDays: number };
  usageSpike: { multiplier: string; trailingDays: number; minHistoryDays: number; minQuantity: string };
  shadowMismatch: { toleranceMinor: bigint };
};

type SettingKind = "decimal" | "integer" | "minor" | "kinds";

/** One editable threshold: its settings key, where it goes, how it is validated, and its default. */
export type ThresholdSetting = {
  key: string;
  rule: string;
  label: string;
  hint: string;
  kind: SettingKind;
  /** Inclusive bounds for integers and decimals (as strings for decimals). */
  min?: string;
  max?: string;
  defaultValue: string;
  apply(t: AnomalyThresholds, value: string): void;
};

const LINE_KINDS = ["base", "usage", "proration", "minimum", "credit", "adjustment"] as const;

export const THRESHOLD_SETTINGS: ThresholdSetting[] = [
  { key: "anomaly.total_above_last.multiplier", rule: "total_above_last_invoice", label: "Total above last invoice: multiplier", hint: "Flag when the total is more than this many times the last invoice.", kind: "decimal", min: "1", max: "1000", defaultValue: "2", apply: (t, v) => { t.totalAboveLast.multiplier = v; } },
  { key: "anomaly.total_above_last.floor_minor", rule: "total_above_last_invoice", label: "Total above last invoice: floor (minor units)", hint: "…and at least this much (in cents), so small accounts stay quiet.", kind: "minor", min: "0", max: "100000000000", defaultValue: "5000", apply: (t, v) => { t.totalAboveLast.floorMinor = BigInt(v); } },
  { key: "anomaly.credits_above_charges.ratio", rule: "credits_above_charges", label: "Credits above charges: ratio", hint: "Flag when credits granted this period exceed this share of the charges (1 = all of them).", kind: "decimal", min: "0", max: "1000", defaultValue: "1", apply: (t, v) => { t.creditsAboveCharges.ratio = v; } },
  { key: "anomaly.zero_invoice.min_quantity", rule: "zero_invoice_with_usage", label: "Zero invoice with usage: minimum quantity", hint: "Flag a zero invoice when a meter recorded more than this.", kind: "decimal", min: "0", max: "1000000000", defaultValue: "0", apply: (t, v) => { t.zeroInvoiceWithUsage.minQuantity = v; } },
  { key: "anomaly.negative_line.allowed_kinds", rule: "negative_line", label: "Negative line: kinds allowed below zero", hint: `Comma-separated, from ${LINE_KINDS.join(", ")}.`, kind: "kinds", defaultValue: "credit,proration", apply: (t, v) => { t.negativeLine.allowedKinds = splitKinds(v); } },
  { key: "anomaly.missing_days.min_coverage", rule: "missing_usage_days", label: "Missing days: usual coverage", hint: "Only customers with data on at least this share of days (0–1) are judged.", kind: "decimal", min: "0", max: "1", defaultValue: "0.8", apply: (t, v) => { t.missingUsageDays.minUsualCoverage = v; } },
  { key: "anomaly.missing_days.min_missing_days", rule: "missing_usage_days", label: "Missing days: days missing to flag", hint: "Flag when at least this many complete days of the period have no data.", kind: "integer", min: "1", max: "31", defaultValue: "1", apply: (t, v) => { t.missingUsageDays.minMissingDays = Number(v); } },
  { key: "anomaly.missing_days.min_active_days", rule: "missing_usage_days", label: "Missing days: history needed (days)", hint: "Customers with less history than this are not judged.", kind: "integer", min: "1", max: "365", defaultValue: "7", apply: (t, v) => { t.missingUsageDays.minHistoryDays = Number(v); } },
  { key: "anomaly.missing_days.history_days", rule: "missing_usage_days", label: "Missing days: history window (days)", hint: "How many days before the period count as the customer's usual pattern.", kind: "integer", min: "7", max: "365", defaultValue: "28", apply: (t, v) => { t.missingUsageDays.historyDays = Number(v); } },
  { key: "anomaly.usage_spike.multiplier", rule: "usage_spike", label: "Usage spike: multiplier", hint: "Flag a day above this many times the trailing median.", kind: "decimal", min: "1", max: "1000", defaultValue: "5", apply: (t, v) => { t.usageSpike.multiplier = v; } },
  { key: "anomaly.usage_spike.trailing_days", rule: "usage_spike", label: "Usage spike: trailing days", hint: "The median is taken over this many previous days with data.", kind: "integer", min: "2", max: "60", defaultValue: "7", apply: (t, v) => { t.usageSpike.trailingDays = Number(v); } },
  { key: "anomaly.usage_spike.min_history_days", rule: "usage_spike", label: "Usage spike: history needed (days)", hint: "Days with data needed before a day can be judged.", kind: "integer", min: "1", max: "60", defaultValue: "3", apply: (t, v) => { t.usageSpike.minHistoryDays = Number(v); } },
  { key: "anomaly.usage_spike.min_quantity", rule: "usage_spike", label: "Usage spike: minimum quantity", hint: "Days at or below this quantity never count as a spike.", kind: "decimal", min: "0", max: "1000000000", defaultValue: "1", apply: (t, v) => { t.usageSpike.minQuantity = v; } },
  { key: "anomaly.shadow.tolerance_minor", rule: "shadow_mismatch", label: "Shadow mismatch: tolerance (minor units)", hint: "0 = any difference between the provider and Meterdesk is flagged.", kind: "minor", min: "0", max: "1000000", defaultValue: "0", apply: (t, v) => { t.shadowMismatch.toleranceMinor = BigInt(v); } },
];

function splitKinds(v: string): string[] {
  return [...new Set(v.split(",").map((s) => s.trim()).filter(Boolean))].sort();
}

/** Validates one threshold value as typed in the form; returns the canonical string or an error. */
export function parseThresholdValue(setting: ThresholdSetting, raw: string): { ok: true; value: string } | { ok: false; error: string } {
  const text = raw.trim();
  if (setting.kind === "kinds") {
    const kinds = splitKinds(text);
    const unknown = kinds.filter((k) => !(LINE_KINDS as readonly string[]).includes(k));
    if (unknown.length) return { ok: false, error: `Unknown line kind: ${unknown.join(", ")}.` };
    return { ok: true, value: kinds.join(",") };
  }
  const integer = setting.kind !== "decimal";
  const pattern = integer ? /^\d{1,15}$/ : /^\d{1,12}(\.\d{1,6})?$/;
  if (!pattern.test(text)) return { ok: false, error: integer ? "Enter a whole number." : "Enter a number such as 2 or 1.5." };
  const value = toNonNegativeDecimal(text, setting.key);
  if (setting.min !== undefined && value.lt(setting.min)) return { ok: false, error: `Must be at least ${setting.min}.` };
  if (setting.max !== undefined && value.gt(setting.max)) return { ok: false, error: `Must be at most ${setting.max}.` };
  return { ok: true, value: value.toString() };
}

export function defaultThresholds(): AnomalyThresholds {
  const t: AnomalyThresholds = {
    totalAboveLast: { multiplier: "2", floorMinor: BigInt(5000) },
    creditsAboveCharges: { ratio: "1" },
    zeroInvoiceWithUsage: { minQuantity: "0" },
    negativeLine: { allowedKinds: ["credit", "proration"] },
    missingUsageDays: { minUsualCoverage: "0.8", minMissingDays: 1, minHistoryDays: 7, historyDays: 28 },
    usageSpike: { multiplier: "5", trailingDays: 7, minHistoryDays: 3, minQuantity: "1" },
    shadowMismatch: { toleranceMinor: BigInt(0) },
  };
  for (const s of THRESHOLD_SETTINGS) s.apply(t, s.defaultValue);
  return t;
}

/** Settings rows (JSON values: numbers or strings) → thresholds; a missing or invalid row keeps its default. */
export function thresholdsFromSettings(rows: ReadonlyArray<{ key: string; value: unknown }>): AnomalyThresholds {
  const t = defaultThresholds();
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  for (const s of THRESHOLD_SETTINGS) {
    const raw = byKey.get(s.key);
    if (raw === undefined || raw === null) continue;
    const text = Array.isArray(raw) ? raw.join(",") : String(raw);
    const parsed = parseThresholdValue(s, text);
    if (parsed.ok) s.apply(t, parsed.value);
  }
  return t;
}

/** The current values as the form shows them (strings), default where unset. */
export function thresholdFormValues(rows: ReadonlyArray<{ key: string; value: unknown }>): Record<string, string> {
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  return Object.fromEntries(
    THRESHOLD_SETTINGS.map((s) => {
      const raw = byKey.get(s.key);
      const text = raw === undefined || raw === null ? s.defaultValue : Array.isArray(raw) ? raw.join(",") : String(raw);
      const parsed = parseThresholdValue(s, text);
      return [s.key, parsed.ok ? parsed.value : s.defaultValue];
    }),
  );
}

export async function loadAnomalyThresholds(db: Db): Promise<AnomalyThresholds> {
  const rows = await db.setting.findMany({ where: { key: { startsWith: "anomaly." } } });
  return thresholdsFromSettings(rows);
}

// ---------------------------------------------------------------------------------------------

export type PreviewLineInput = { kind: string; description: string; meterKey?: string | null; amountMinor: bigint };
export type PreviewInput = { currency: string; lines: PreviewLineInput[]; subtotalMinor: bigint; creditsAppliedMinor: bigint; totalMinor: bigint };

export type CustomerAnomalyInput = {
  currency: string;
  period: Period;
  asOf: Date;
  /** The provider's preview (the system of record); null when the provider did not answer. */
  provider: PreviewInput | null;
  /** Meterdesk's own computation. */
  shadow: PreviewInput;
  /** Total of the latest issued or paid invoice, in the customer's currency; null if none. */
  lastInvoiceTotalMinor: bigint | null;
  /** Credits granted in the period (sum of grant ledger entries), minor units. */
  creditsGrantedMinor: bigint;
  /** Platform usage in the period per meter (decimal strings). */
  usageByMeter: Record<string, string>;
  /** UTC days (YYYY-MM-DD) of the period with any usage data. */
  daysWithData: string[];
  /** The customer's usual pattern: days in the history window, and how many had data. */
  history: { days: number; daysWithData: number };
  /** Daily series per meter covering the trailing window before the period and the period so far. */
  dailyByMeter: Record<string, Array<{ day: string; quantity: string }>>;
};

/** A flag as stored and shown: JSON-safe (amounts as strings), with the rule's explanation. */
export type AnomalyFlag = { code: string; title: string; message: string; explain: string; details: unknown };

export const ANOMALY_CODES = [
  "total_above_last_invoice",
  "credits_above_charges",
  "zero_invoice_with_usage",
  "negative_line",
  "missing_usage_days",
  "usage_spike",
  "shadow_mismatch",
  "provider_unavailable",
] as const;
export type AnomalyCode = (typeof ANOMALY_CODES)[number];

export const ANOMALY_TITLES: Record<AnomalyCode, string> = {
  total_above_last_invoice: totalAboveLastInvoice.title,
  credits_above_charges: creditsAboveCharges.title,
  zero_invoice_with_usage: zeroInvoiceWithUsage.title,
  negative_line: negativeLine.title,
  missing_usage_days: missingUsageDays.title,
  usage_spike: usageSpike.title,
  shadow_mismatch: shadowMismatch.title,
  provider_unavailable: "Provider preview unavailable",
};

const jsonSafe = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

function flag(finding: AnomalyFinding, explain: string): AnomalyFlag {
  return { code: finding.code, title: finding.title, message: finding.message, explain, details: jsonSafe(finding.details) };
}

/**
 * What shadow billing compares, in the categories every provider reports alike: usage per meter;
 * the fixed charges together (base fee, proration, minimum top-up, other adjustments: Orb,
 * Metronome and Stripe split and name these differently, so line by line they would differ on
 * every plan change without a cent of difference); the credits applied (the providers report them
 * beside the lines, Meterdesk as lines); and the total.
 */
export const FIXED_CHARGES_KEY = "fixed";
export const CREDITS_KEY = "credits";
const comparable = (p: PreviewInput): ComparablePreview => {
  const lines: ComparableLine[] = [];
  let fixed = BigInt(0);
  for (const l of p.lines) {
    if (l.kind === "credit") continue;
    if (l.kind === "usage") lines.push(l.meterKey ? { kind: "usage", meterKey: l.meterKey, amountMinor: l.amountMinor } : { kind: "usage", amountMinor: l.amountMinor });
    else fixed += l.amountMinor;
  }
  lines.push({ kind: FIXED_CHARGES_KEY, amountMinor: fixed }, { kind: CREDITS_KEY, amountMinor: -p.creditsAppliedMinor });
  return { currency: p.currency, totalMinor: p.totalMinor, lines };
};

/**
 * Every rule against one customer's upcoming invoice. The provider's preview is the invoice
 * being judged (it is what the customer will get); Meterdesk's own is the check on it. When the
 * provider did not answer, the shadow preview is judged instead and a flag says so.
 */
export function checkCustomerAnomalies(input: CustomerAnomalyInput, t: AnomalyThresholds): AnomalyFlag[] {
  const flags: AnomalyFlag[] = [];
  const invoice = input.provider ?? input.shadow;
  const { currency } = input;

  if (!input.provider) {
    flags.push({
      code: "provider_unavailable",
      title: ANOMALY_TITLES.provider_unavailable,
      message: "The provider's preview could not be fetched; Meterdesk's own computation is shown and judged.",
      explain: "Shown whenever the provider does not answer for this customer.",
      details: {},
    });
  }

  const total = totalAboveLastInvoice.check(
    { total: { amountMinor: invoice.totalMinor, currency }, lastTotal: input.lastInvoiceTotalMinor === null ? null : { amountMinor: input.lastInvoiceTotalMinor, currency } },
    t.totalAboveLast,
  );
  if (total) flags.push(flag(total, totalAboveLastInvoice.explain(t.totalAboveLast)));

  const credits = creditsAboveCharges.check({ chargesMinor: invoice.subtotalMinor, creditsMinor: input.creditsGrantedMinor, currency }, t.creditsAboveCharges);
  if (credits) flags.push(flag(credits, `${creditsAboveCharges.explain(t.creditsAboveCharges)} (credits granted in this period)`));

  const zero = zeroInvoiceWithUsage.check({ subtotalMinor: invoice.subtotalMinor, usageByMeter: input.usageByMeter }, t.zeroInvoiceWithUsage);
  if (zero) flags.push(flag(zero, zeroInvoiceWithUsage.explain(t.zeroInvoiceWithUsage)));

  const negative = negativeLine.check({ lines: invoice.lines.map((l) => ({ kind: l.kind as InvoiceLine["kind"], description: l.description, amountMinor: l.amountMinor })) }, t.negativeLine);
  if (negative) flags.push(flag(negative, negativeLine.explain(t.negativeLine)));

  const missing = missingUsageDays.check(
    { period: input.period, asOf: input.asOf, daysWithData: input.daysWithData, history: input.history },
    { minUsualCoverage: t.missingUsageDays.minUsualCoverage, minMissingDays: t.missingUsageDays.minMissingDays, minHistoryDays: t.missingUsageDays.minHistoryDays },
  );
  if (missing) flags.push(flag(missing, missingUsageDays.explain(t.missingUsageDays)));

  const spike = periodSpikes(input, t);
  if (spike) flags.push(spike);

  if (input.provider) {
    const mismatch = shadowMismatch.check({ ours: comparable(input.shadow), theirs: comparable(input.provider) }, t.shadowMismatch);
    if (mismatch) {
      const f = flag(mismatch, shadowMismatch.explain(t.shadowMismatch));
      const total = mismatch.details.deltas.find((d) => d.key === "total");
      if (total) f.message = `Provider ${formatMoney({ amountMinor: total.theirsMinor, currency })} vs Meterdesk ${formatMoney({ amountMinor: total.oursMinor, currency })} (${signed(total.deltaMinor, currency)}); ${mismatch.message}`;
      flags.push(f);
    }
  }
  return flags;
}

function signed(minor: bigint, currency: string): string {
  return `${minor > BigInt(0) ? "+" : ""}${formatMoney({ amountMinor: minor, currency })}`;
}

/** Usage spikes on days of this period (earlier days only serve as the trailing window). */
function periodSpikes(input: CustomerAnomalyInput, t: AnomalyThresholds): AnomalyFlag | null {
  const firstDay = input.period.start.toISOString().slice(0, 10);
  const found: Array<{ meterKey: string; day: string; quantity: string; trailingMedian: string }> = [];
  for (const [meterKey, daily] of Object.entries(input.dailyByMeter).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const hit = usageSpike.check({ meterKey, daily }, t.usageSpike);
    for (const s of hit?.details.spikes ?? []) if (s.day >= firstDay) found.push({ meterKey, ...s });
  }
  if (found.length === 0) return null;
  const what = found.map((s) => `${s.meterKey} on ${s.day} (${s.quantity} vs median ${s.trailingMedian})`).join("; ");
  return { code: usageSpike.code, title: usageSpike.title, message: `Spike: ${what}.`, explain: usageSpike.explain(t.usageSpike), details: { spikes: found } };
}
