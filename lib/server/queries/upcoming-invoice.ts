import "server-only";
import { getBillingProvider } from "@/lib/providers";
import { isProviderError } from "@/lib/providers/types";
import { newErrorRef } from "@/lib/errors";
import { toUpcomingInvoiceDto, type UpcomingInvoiceDto } from "@/components/invoices/types";
import { db } from "../db";

export type UpcomingInvoiceResult =
  | { state: "ok"; invoice: UpcomingInvoiceDto; provider: string }
  | { state: "none"; message: string }
  | { state: "error"; message: string };

/** The customer's upcoming invoice as the billing provider computes it (the system of record). */
export async function getUpcomingInvoice(customerId: string): Promise<UpcomingInvoiceResult> {
  const customer = await db.customer.findUnique({ where: { id: customerId }, select: { providerCustomerId: true, provider: true } });
  if (!customer) return { state: "none", message: "No customer has this id." };
  const subscribed = await db.subscription.count({ where: { customerId, status: "active" } });
  if (subscribed === 0) return { state: "none", message: "This customer has no active subscription, so no invoice is coming." };
  if (!customer.providerCustomerId) return { state: "none", message: "This customer is not linked to the billing provider yet." };
  try {
    const provider = getBillingProvider(db);
    const p = await provider.getUpcomingInvoice({ customerId, providerCustomerId: customer.providerCustomerId });
    return { state: "ok", provider: provider.kind, invoice: toUpcomingInvoiceDto(p) };
  } catch (error) {
    const ref = newErrorRef();
    console.error(`[upcoming invoice ref=${ref}]`, error);
    const why = isProviderError(error) && error.kind === "not_found" ? "the provider does not know this customer" : "the provider did not answer";
    return { state: "error", message: `The upcoming invoice could not be loaded: ${why} (ref ${ref}). Past invoices are below; try again in a minute.` };
  }
}
