"use client";

import Link from "next/link";
import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { createApiTokenAction, revokeApiTokenAction } from "@/lib/actions/tokens";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState, Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import type { ApiTokenRow } from "@/lib/server/services/api-tokens";

/** The list's rows, as the service returns them (plain strings: they cross to the client). */
export type ApiTokenListItem = ApiTokenRow;

type FieldErrors = Record<string, { _errors?: string[] } | undefined> | undefined;

function CreateTokenForm() {
  const [name, setName] = useState("");
  const { execute, result, isPending, reset } = useAction(createApiTokenAction);
  const validation = result.validationErrors as FieldErrors;
  const server = result.serverError as { message?: string; fieldErrors?: Record<string, string> } | undefined;
  const nameError = validation?.name?._errors?.[0] ?? server?.fieldErrors?.name;
  const created = result.data;
  return (
    <div className="space-y-2">
      <form
        aria-label="Create an API token"
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          execute({ name, scopes: ["usage:write"] });
        }}
      >
        <TextField id="api-token-name" label="Token name" value={name} onChange={(e) => setName(e.target.value)} error={nameError} hint="What uses it, e.g. “platform usage pipeline”." className="w-72" />
        <p className="pb-2 text-xs text-slate-600">Scope: <code>usage:write</code> (send usage to <code>POST /api/v1/usage</code>)</p>
        <Button type="submit" disabled={isPending}>{isPending ? "Creating…" : "Create token"}</Button>
      </form>
      {server?.message && !server.fieldErrors ? <p role="alert" className="text-sm text-red-700">{server.message}</p> : null}
      {created ? (
        <div role="status" className="space-y-1 rounded border border-emerald-300 bg-emerald-50 p-3 text-sm">
          <p className="font-medium">Token “{created.name}” created. Copy it now: it is shown only this once and cannot be recovered.</p>
          <label htmlFor="api-token-secret" className="block text-xs text-slate-700">New API token</label>
          <input id="api-token-secret" readOnly value={created.token} className="w-full rounded border border-slate-300 bg-white px-2 py-1 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
          <p className="text-xs">
            Recorded as <Link className="text-indigo-700 underline" href={`/audit?event=${created.auditId}`}>audit event #{created.auditId}</Link>.{" "}
            <button type="button" className="text-indigo-700 underline" onClick={() => { reset(); setName(""); }}>I have copied it</button>
          </p>
        </div>
      ) : null}
    </div>
  );
}

function RevokeButton({ token }: { token: ApiTokenListItem }) {
  const [confirming, setConfirming] = useState(false);
  const { execute, result, isPending } = useAction(revokeApiTokenAction);
  // Stays mounted when the list re-renders with the token revoked, so the outcome stays visible.
  if (result.data) {
    return (
      <p role="status" className="text-xs text-emerald-800">
        <Badge tone="bad">revoked</Badge> Revoked (audit event #{result.data.auditId ?? "—"})
      </p>
    );
  }
  if (token.revokedAt) return <Badge tone="bad">revoked</Badge>;
  if (!confirming) return <Button variant="secondary" onClick={() => setConfirming(true)}>Revoke<span className="sr-only"> token {token.name}</span></Button>;
  return (
    <div className="space-y-1 text-xs">
      <p>Revoke “{token.name}”? Calls with it fail at once; this cannot be undone.</p>
      <div className="flex gap-2">
        <Button variant="danger" disabled={isPending} onClick={() => execute({ tokenId: token.id })}>Confirm revoke<span className="sr-only"> token {token.name}</span></Button>
        <Button variant="ghost" onClick={() => setConfirming(false)}>Keep it</Button>
      </div>
      {result.serverError ? <p role="alert" className="text-red-700">{(result.serverError as { message?: string }).message}</p> : null}
    </div>
  );
}

/** The "API tokens" section of /settings: tokens the platform uses to send usage. */
export function ApiTokensSection({ tokens }: { tokens: ApiTokenListItem[] }) {
  return (
    <section aria-labelledby="api-tokens-heading" className="space-y-2">
      <h2 id="api-tokens-heading" className="text-base font-semibold">API tokens</h2>
      <p className="text-sm text-slate-600">
        Machine access for usage ingest. Only a SHA-256 hash of each token is stored; the token itself is shown once, when it is created.
      </p>
      <CreateTokenForm />
      {tokens.length === 0 ? (
        <EmptyState title="No API tokens yet">Create one for the platform’s usage pipeline.</EmptyState>
      ) : (
        <Table caption="API tokens">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Token starts with</Th>
              <Th>Scopes</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {tokens.map((t) => (
              <tr key={t.id}>
                <Td>{t.name}</Td>
                <Td><code className="text-xs">{t.prefix}…</code></Td>
                <Td className="text-xs">{t.scopes.join(", ")}</Td>
                <Td className="text-xs"><DateTime iso={t.createdAt} /> by {t.createdBy}</Td>
                <Td className="text-xs">{t.lastUsedAt ? <DateTime iso={t.lastUsedAt} /> : "never"}</Td>
                <Td><RevokeButton token={t} /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
