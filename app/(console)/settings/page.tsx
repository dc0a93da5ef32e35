import type { Metadata } from "next";
import { requirePagePermission } from "@/lib/server/session";
import { db } from "@/lib/server/db";
import { roleLabels } from "@/lib/auth/permissions";
import { DateTime } from "@/components/ui/date-time";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { StaffAccessForm } from "./staff-access-form";
import { BillingHealthSection } from "./billing-health";
import { CreditLimitsForm } from "./credit-limits-form";
import { listCreditLimits } from "@/lib/server/services/credit-limits";
import { ApiTokensSection } from "./api-tokens";
import { listApiTokens } from "@/lib/server/services/api-tokens";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const actor = await requirePagePermission("admin.manage");
  const staff = await db.staffUser.findMany({ orderBy: [{ active: "desc" }, { email: "asc" }] });
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold">Settings</h1>
      <BillingHealthSection />
      <section aria-labelledby="staff-heading" className="space-y-2">
        <h2 id="staff-heading" className="text-base font-semibold">Staff and roles</h2>
        <p className="text-sm text-slate-600">A change takes effect on the person’s next click: roles are checked on the server at every request.</p>
        <Table caption="Staff accounts">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Email</Th>
              <Th>Role</Th>
              <Th>Sign-in</Th>
              <Th>Last sign-in</Th>
              <Th>Change access</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {staff.map((s) => (
              <tr key={s.id}>
                <Td>{s.name}{s.active ? null : <> <Badge tone="bad">deactivated</Badge></>}</Td>
                <Td>{s.email}</Td>
                <Td>{roleLabels[s.role]}</Td>
                <Td className="text-xs">{s.authSource === "credentials" ? "Demo password" : "Single sign-on"}</Td>
                <Td>{s.lastSignInAt ? <DateTime iso={s.lastSignInAt.toISOString()} /> : "never"}</Td>
                <Td>
                  {s.id === actor.id ? (
                    <span className="text-xs text-slate-500">Your own account</span>
                  ) : (
                    <StaffAccessForm staff={{ id: s.id, email: s.email, role: s.role, active: s.active }} />
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </section>
      <ApiTokensSection tokens={await listApiTokens(db)} />
      <section aria-labelledby="limits-heading" className="space-y-2">
        <h2 id="limits-heading" className="text-base font-semibold">Credit limits</h2>
        <p className="text-sm text-slate-600">The largest credit each role issues without a second person, in major units of the customer’s currency. Leave empty for no limit; above the limit a credit waits for approval.</p>
        <CreditLimitsForm limits={await listCreditLimits(db)} />
      </section>
    </div>
  );
}
