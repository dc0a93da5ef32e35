"use client";

import { useState } from "react";
import Link from "next/link";
import { useAction } from "next-safe-action/hooks";
import { updateAnomalyThresholdsAction } from "@/lib/actions/invoices";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";

type Field = { key: string; rule: string; ruleTitle: string; label: string; hint: string; kind: string };

/** The anomaly thresholds: editable by finance admins, read-only for everyone else. */
export function ThresholdsForm({ editable, values, fields }: { editable: boolean; values: Record<string, string>; fields: Field[] }) {
  const [form, setForm] = useState(values);
  const { execute, result, isPending } = useAction(updateAnomalyThresholdsAction);
  const fieldErrors = result.serverError?.fieldErrors ?? {};
  const rules = [...new Set(fields.map((f) => f.rule))];
  const idFor = (key: string) => `threshold-${key.replace(/[^a-z0-9]+/gi, "-")}`;

  return (
    <form
      aria-label="Anomaly thresholds"
      className="mt-3 space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (editable) execute({ values: form });
      }}
    >
      {rules.map((rule) => (
        <fieldset key={rule} className="rounded border border-slate-200 p-2">
          <legend className="px-1 text-sm font-medium">{fields.find((f) => f.rule === rule)!.ruleTitle}</legend>
          <div className="flex flex-wrap gap-3">
            {fields.filter((f) => f.rule === rule).map((f) => (
              <TextField
                key={f.key}
                id={idFor(f.key)}
                name={f.key}
                label={f.label}
                hint={f.hint}
                value={form[f.key] ?? ""}
                readOnly={!editable}
                inputMode={f.kind === "kinds" ? "text" : "decimal"}
                error={fieldErrors[f.key]}
                onChange={(e) => setForm((v) => ({ ...v, [f.key]: e.target.value }))}
                className="w-64"
              />
            ))}
          </div>
        </fieldset>
      ))}
      {editable ? (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={isPending}>{isPending ? "Saving…" : "Save thresholds"}</Button>
          <p role="status" aria-live="polite" className="text-xs">
            {result.serverError ? <span className="text-red-700">{result.serverError.message}</span> : null}
            {result.data ? (
              result.data.auditId ? (
                <span className="text-emerald-800">
                  Saved {result.data.changed.length} threshold(s); they apply from the next recompute.{" "}
                  <Link className="underline" href={`/audit?event=${result.data.auditId}`}>Audit event #{result.data.auditId}</Link>
                </span>
              ) : "Nothing changed."
            ) : null}
          </p>
        </div>
      ) : null}
    </form>
  );
}
