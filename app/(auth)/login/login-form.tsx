"use client";

import { useState } from "react";
import { signIn } from "next-auth/react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

type DemoUser = { email: string; name: string; roleLabel: string };

export function LoginForm({ error, callbackUrl, credentials, oidcName, demoUsers, demoPassword }: {
  error?: string; callbackUrl: string; credentials: boolean; oidcName: string | null; demoUsers: DemoUser[]; demoPassword: string | null;
}) {
  const [pending, setPending] = useState<string | null>(null);

  async function signInWithCredentials(email: string, password: string) {
    setPending(email);
    await signIn("credentials", { email, password, callbackUrl });
  }

  return (
    <div className="mt-6 space-y-6">
      {error ? <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800">{error}</p> : null}
      {oidcName ? (
        <Button className="w-full" onClick={() => { setPending("oidc"); void signIn("oidc", { callbackUrl }); }} disabled={pending !== null}>
          Sign in with {oidcName}
        </Button>
      ) : null}
      {credentials ? (
        <>
          <form
            className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              void signInWithCredentials(String(form.get("email") ?? ""), String(form.get("password") ?? ""));
            }}
          >
            <TextField id="email" label="Email" type="email" autoComplete="username" required />
            <TextField id="password" label="Password" type="password" autoComplete="current-password" required />
            <Button type="submit" className="w-full" disabled={pending !== null}>Sign in</Button>
          </form>
          {demoUsers.length ? (
            <section aria-labelledby="demo-heading" className="rounded-lg border border-slate-200 bg-white p-4">
              <h2 id="demo-heading" className="text-sm font-semibold">Demo accounts</h2>
              <p className="mt-1 text-xs text-slate-600">For local use and demos only. Password for each: <code>{demoPassword}</code>.</p>
              <ul className="mt-3 space-y-2">
                {demoUsers.map((u) => (
                  <li key={u.email} className="flex items-center justify-between gap-2 text-sm">
                    <span>
                      <span className="font-medium">{u.roleLabel}</span>{" "}
                      <span className="text-slate-500">{u.email}</span>
                    </span>
                    <Button variant="secondary" disabled={pending !== null} onClick={() => void signInWithCredentials(u.email, demoPassword ?? "")}>
                      {pending === u.email ? "Signing in…" : `Sign in as ${u.email.split("@")[0]}`}
                    </Button>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      ) : null}
      {!credentials && !oidcName ? (
        <p className="text-sm text-slate-700">No sign-in method is configured. Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.</p>
      ) : null}
    </div>
  );
}
