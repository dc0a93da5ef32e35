/** Where a customer lives in the provider's own dashboard; the sandbox has none. */
export function providerCustomerUrl(provider: string, providerCustomerId: string | null): string | null {
  if (!providerCustomerId) return null;
  const id = encodeURIComponent(providerCustomerId);
  switch (provider) {
    case "orb":
      return `https://app.withorb.com/customers/${id}`;
    case "metronome":
      return `https://app.metronome.com/customers/${id}`;
    case "stripe":
      return `https://dashboard.stripe.com/customers/${id}`;
    default:
      return null;
  }
}

export const providerLabels: Record<string, string> = {
  sandbox: "Sandbox (built in)",
  orb: "Orb",
  metronome: "Metronome",
  stripe: "Stripe Billing",
};
