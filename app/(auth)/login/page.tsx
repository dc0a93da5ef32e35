import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { credentialsLoginEnabled, demoPassword, oidcConfig, DEMO_EMAIL_DOMAIN } from "@/lib/auth/config";
import { roleLabels } from "@/lib/auth/permissions";
import { db } from "@/lib/server/db";
import { getActor } from "@/lib/server/session";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

const errorMessages: Record<string, string> = {
  CredentialsSignin: "That email and password do not match a demo account.",
  NoRole: "Your account is not in a group that has a Meterdesk role. Ask an admin to add you.",
  Deactivated: "Your Meterdesk account is deactivated. Ask an admin.",
  AccessDenied: "Sign-in was refused.",
};

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  if (await getActor()) redirect("/");
  const credentials = credentialsLoginEnabled();
  const oidc = oidcConfig();
  const demoUsers = credentials
    ? await db.staffUser.findMany({
        where: { authSource: "credentials", active: true, email: { endsWith: `@${DEMO_EMAIL_DOMAIN}` } },
        orderBy: [{ role: "asc" }, { email: "asc" }],
        select: { email: true, name: true, role: true },
      })
    : [];
  const error = params.error ? errorMessages[params.error] ?? "Sign-in failed. Try again." : undefined;
  const callbackUrl = params.callbackUrl?.startsWith("/") ? params.callbackUrl : "/";

  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center p-6">
      <h1 className="text-2xl font-semibold">Meterdesk</h1>
      <p className="mt-1 text-sm text-slate-600">Billing operations console. Sign in to continue.</p>
      <LoginForm
        error={error}
        callbackUrl={callbackUrl}
        credentials={credentials}
        oidcName={oidc?.name ?? null}
        demoPassword={demoUsers.length ? demoPassword() : null}
        demoUsers={demoUsers.map((u) => ({ email: u.email, name: u.name, roleLabel: roleLabels[u.role] }))}
      />
    </main>
  );
}
