"use client";

import { useAction } from "next-safe-action/hooks";
import { testProviderConnectionAction } from "@/lib/actions/health";
import { Button } from "@/components/ui/button";

export function TestConnectionButton() {
  const { execute, result, isPending } = useAction(testProviderConnectionAction);
  return (
    <div className="flex items-center gap-3">
      <Button variant="secondary" onClick={() => execute({})} disabled={isPending}>
        {isPending ? "Testing…" : "Test connection"}
      </Button>
      <p role="status" className="text-sm">
        {result.serverError ? <span className="text-red-700">{result.serverError.message}</span> : null}
        {result.data ? (
          result.data.ok ? (
            <span className="text-emerald-800">Connected to {result.data.provider} in {result.data.latencyMs} ms.</span>
          ) : (
            <span className="text-red-700">Could not reach {result.data.provider}: {result.data.detail}</span>
          )
        ) : null}
      </p>
    </div>
  );
}
