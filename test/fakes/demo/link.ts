// Which provider the demo customers are billed by. Much of Meterdesk keys off customers.provider:
// new outbox operations take the customer's provider, the worker claims only operations of the
// provider it runs (provider_operations.provider), reconciliation compares the customers of the
// configured provider, and the sandbox and the demo fakes each serve the customers linked to
// them. So the dev launcher links the demo customers to the provider it starts — the sandbox
// itself, or a demo fake — before anything else runs.
//
// Demo customers keep their provider customer ids: every fake serves the sandbox's state, and
// uses the sandbox's ids (`sbx_cus_…`) as its own. Only customers with such an id are linked
// (anyone else's customers, e.g. from a real provider account, are left alone). Operations of
// theirs that have not reached a provider yet (pending, in flight, failed and awaiting a retry)
// move with them: all the fakes share the sandbox's state, so sending them through the provider
// now running is what would have happened; operations that succeeded stay as they were, as
// history. Scheduled plan changes keep the change id of the provider they were sent to: cancel
// one under that provider (the fake now running cannot read another's id).
import type { ProviderKind } from "@/lib/providers/types";
import type { Db } from "@/lib/server/db/client";

export async function linkDemoCustomers(db: Db, kind: ProviderKind): Promise<{ customers: number; operations: number }> {
  return db.$transaction(async (tx) => {
    const operations = await tx.$executeRaw`
      UPDATE provider_operations o SET provider = ${kind}::"ProviderKind", updated_at = now()
        FROM customers c
       WHERE c.id = o.customer_id AND starts_with(c.provider_customer_id, 'sbx_')
         AND o.status IN ('pending', 'in_flight', 'failed') AND o.provider <> ${kind}::"ProviderKind"`;
    const customers = await tx.$executeRaw`
      UPDATE customers SET provider = ${kind}::"ProviderKind"
       WHERE starts_with(provider_customer_id, 'sbx_') AND provider <> ${kind}::"ProviderKind"`;
    return { customers, operations };
  });
}
