// The one interface Meterdesk uses to talk to a billing provider. Adapters (sandbox, orb,
// metronome, stripe) convert the provider's formats at this edge: amounts here are integer
// minor units (bigint) with a currency, quantities are decimal strings, instants are Dates.
// Every call that changes money takes an idempotency key: sending it twice posts once.

export type ProviderKind = "sandbox" | "orb" | "metronome" | "stripe";

export type CustomerRef = {
  /** Meterdesk's customer id (for metadata and look-ups by reference). */
  customerId: string;
  /** The provider's id for the customer. */
  providerCustomerId: string;
};

export type ProviderLine = {
  kind: "base" | "usage" | "proration" | "minimum" | "credit" | "adjustment";
  description: string;
  meterKey?: string;
  quantity?: string;
  amountMinor: bigint;
  /** Tier breakdown, when the provider gives one. */
  breakdown?: Array<{ label: string; quantity: string; unitPrice: string; amount: string }>;
};

export type ProviderInvoicePreview = {
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  lines: ProviderLine[];
  subtotalMinor: bigint;
  creditsAppliedMinor: bigint;
  totalMinor: bigint;
  /** When the provider computed it. */
  asOf: Date;
};

export type ProviderUsageDay = { meterKey: string; day: string; quantity: string };

export type PlanChangeTiming = "immediate" | "period_end" | "on_date";

export type PlanChangeRequest = {
  customer: CustomerRef;
  fromPlanVersionId: string;
  toPlanVersionId: string;
  timing: PlanChangeTiming;
  /** When the change takes effect (for immediate: now as the caller saw it). */
  effectiveAt: Date;
};

export type GrantCreditRequest = {
  idempotencyKey: string;
  customer: CustomerRef;
  amountMinor: bigint;
  currency: string;
  expiresAt: Date | null;
  description: string;
  /** Carries Meterdesk's operation and grant ids, so an unknown outcome can be looked up. */
  metadata: Record<string, string>;
};

export type VoidCreditRequest = {
  idempotencyKey: string;
  customer: CustomerRef;
  providerGrantId: string;
  /** Minor units to remove (the unused remainder). */
  amountMinor: bigint;
  currency: string;
  reason: string;
};

export type UsageEventIn = {
  /** The platform's event id: the provider's idempotency key for the event. */
  idempotencyKey: string;
  customer: CustomerRef;
  meterKey: string;
  timestamp: Date;
  quantity: string;
};

export interface BillingProvider {
  readonly kind: ProviderKind;

  getUpcomingInvoice(customer: CustomerRef, at?: Date): Promise<ProviderInvoicePreview>;
  /**
   * Optional batch form for the review queue's recompute: previews for many customers in one
   * call, keyed by provider customer id (a customer missing from the map has none).
   */
  getUpcomingInvoices?(customers: CustomerRef[], at: Date): Promise<Map<string, ProviderInvoicePreview>>;
  getUsage(customer: CustomerRef, range: { start: Date; end: Date }): Promise<ProviderUsageDay[]>;
  /** Optional fast path for reconciliation: every customer's usage per meter and UTC day in one call. */
  getUsageBatch?(range: { start: Date; end: Date }): Promise<Array<ProviderUsageDay & { providerCustomerId: string }>>;

  grantCredit(req: GrantCreditRequest): Promise<{ providerGrantId: string; replayed: boolean }>;
  voidCredit(req: VoidCreditRequest): Promise<{ replayed: boolean }>;
  /** Finds a grant by Meterdesk's metadata, to resolve an unknown outcome without a replay window. */
  findCreditByReference(customer: CustomerRef, reference: { key: string; value: string }): Promise<{ providerGrantId: string } | null>;

  applyPlanChange(req: PlanChangeRequest & { idempotencyKey: string }): Promise<{ providerChangeId: string; replayed: boolean }>;
  cancelPlanChange(req: { idempotencyKey: string; customer: CustomerRef; providerChangeId: string }): Promise<{ replayed: boolean }>;

  ingestUsage(events: UsageEventIn[]): Promise<{ accepted: number; duplicates: number }>;

  healthCheck(): Promise<{ ok: boolean; latencyMs: number; detail?: string }>;
}

/**
 * How a provider call failed, which decides what the outbox worker does: transient → retry with
 * backoff (honouring retryAfterMs); unknown → the request may have been applied, replay the same
 * key; conflict → the key is in use with another body or still running; permanent / not_found →
 * stop and show the failure.
 */
export type ProviderErrorKind = "transient" | "unknown_outcome" | "conflict" | "permanent" | "not_found";

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; provider?: ProviderKind } = {},
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}
