"use client";

import Link from "next/link";
import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { formatMoney, parseMoneyInput } from "@/lib/billing/money";
import { issueCreditAction } from "@/lib/actions/credits";
import { creditReasonLabels, creditReasons } from "@/lib/actions/credits.schema";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { actionErrors, newRequestId } from "../../../credits/action-errors";

type Props = {
  customer: { id: string; name: string; currency: string };
  /** Current balance in the customer's currency, minor units. */
  balanceMinor: string;
  /** The signed-in person's limit in minor units; null = unlimited. */
  limitMinor: string | null;
};

type Reason = (typeof creditReasons)[number];

export function IssueCreditForm({ customer, balanceMinor, limitMinor }: Props) {
  const [requestId, setRequestId] = useState(newRequestId);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<Reason>("goodwill");
  const [note, setNote] = useState("");
  const [expiresOn, setExpiresOn] = useState("");
  const [ticketRef, setTicketRef] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const { execute, result, isPending, reset } = useAction(issueCreditAction, {
    onSuccess: () => {
      setConfirming(false);
      setAmount("");
      setNote("");
      setExpiresOn("");
      setTicketRef("");
      setRequestId(newRequestId());
    },
    onError: () => setConfirming(false),
  });
  const server = actionErrors(result);
  const errors = { ...server.fields, ...localErrors };
  const parsed = parseMoneyInput(amount, customer.currency);
  const amountMinor = parsed.ok ? parsed.amountMinor : 0n;
  const aboveLimit = limitMinor !== null && amountMinor > BigInt(limitMinor);
  const fmt = (minor: bigint) => formatMoney({ amountMinor: minor, currency: customer.currency });

  function review() {
    const errs: Record<string, string> = {};
    if (!parsed.ok) errs.amount = parsed.message;
    else if (parsed.amountMinor <= 0n) errs.amount = "Enter an amount greater than zero.";
    if (!note.trim()) errs.note = "Say why this credit is issued.";
    else if (note.length > 2000) errs.note = "Keep the note under 2,000 characters.";
    if (ticketRef.length > 100) errs.ticketRef = "Keep the ticket reference under 100 characters.";
    setLocalErrors(errs);
    reset();
    if (Object.keys(errs).length === 0) setConfirming(true);
  }

  return (
    <section aria-labelledby="issue-credit-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="issue-credit-heading" className="mb-3 text-base font-semibold">Issue a credit</h2>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!confirming) review();
          else execute({ customerId: customer.id, amount, currency: customer.currency, reason, note, expiresOn, ticketRef, requestId });
        }}
        className="space-y-3"
      >
        <fieldset disabled={confirming || isPending} className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <TextField id="credit-amount" label={`Amount (${customer.currency})`} inputMode="decimal" autoComplete="off" placeholder="250.00" value={amount} onChange={(e) => setAmount(e.target.value)} error={errors.amount} hint={limitMinor === null ? "No limit for your role." : `Up to ${fmt(BigInt(limitMinor))} is issued at once; above that it waits for approval.`} />
          <SelectField id="credit-currency" label="Currency" value={customer.currency} onChange={() => {}} error={errors.currency} hint="The currency this customer is billed in.">
            <option value={customer.currency}>{customer.currency}</option>
          </SelectField>
          <SelectField id="credit-reason" label="Reason" value={reason} onChange={(e) => setReason(e.target.value as Reason)} error={errors.reason}>
            {creditReasons.map((r) => <option key={r} value={r}>{creditReasonLabels[r]}</option>)}
          </SelectField>
          <div className="sm:col-span-2 lg:col-span-3">
            <label htmlFor="credit-note" className="mb-1 block text-xs font-medium text-slate-700">Note</label>
            <textarea id="credit-note" name="credit-note" rows={2} value={note} onChange={(e) => setNote(e.target.value)} aria-invalid={errors.note ? true : undefined} aria-describedby={errors.note ? "credit-note-error" : undefined} className="block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm" />
            {errors.note ? <p id="credit-note-error" className="mt-1 text-xs text-red-700">{errors.note}</p> : null}
          </div>
          <TextField id="credit-expires" label="Expires after (optional)" type="date" value={expiresOn} onChange={(e) => setExpiresOn(e.target.value)} error={errors.expiresOn} hint="Usable through the end of that day (UTC)." />
          <TextField id="credit-ticket" label="Ticket reference (optional)" value={ticketRef} onChange={(e) => setTicketRef(e.target.value)} error={errors.ticketRef} />
          {errors.customerId ? <p className="text-xs text-red-700">{errors.customerId}</p> : null}
        </fieldset>
        {confirming ? (
          <div role="alertdialog" aria-labelledby="credit-confirm-text" className="rounded-md border border-indigo-300 bg-indigo-50 p-3">
            <p id="credit-confirm-text" className="text-sm font-medium">
              Credit {fmt(amountMinor)} to {customer.name}; balance becomes {fmt(BigInt(balanceMinor) + amountMinor)}.
            </p>
            {aboveLimit ? <p className="mt-1 text-sm text-amber-900">This is above your limit of {fmt(BigInt(limitMinor!))}: it will be sent for approval, and the balance changes only once someone approves it.</p> : null}
            <div className="mt-2 flex gap-2">
              <Button type="submit" disabled={isPending} autoFocus>{isPending ? "Submitting…" : aboveLimit ? "Send for approval" : "Confirm credit"}</Button>
              <Button variant="secondary" onClick={() => setConfirming(false)} disabled={isPending}>Back</Button>
            </div>
          </div>
        ) : (
          <Button type="submit">Review credit</Button>
        )}
        <div role="status" aria-live="polite" className="text-sm">
          {server.message && !confirming ? <p className="text-red-700">{server.message}</p> : null}
          {result.data ? (
            <p className="text-emerald-800">
              {result.data.outcome === "issued" ? `Credit issued — pending provider sync: ${result.data.amountLabel}.` : result.data.outcome === "pending_approval" ? `Sent for approval: ${result.data.amountLabel} waits for a second person.` : `This request was already ${result.data.outcome}.`}
              {result.data.replayed ? " (Already submitted: nothing new was created.)" : ""}{" "}
              {result.data.auditId ? <Link className="underline" href={`/customers/${customer.id}/activity`}>See audit event #{result.data.auditId}</Link> : null}
            </p>
          ) : null}
        </div>
      </form>
    </section>
  );
}
