"use client";

import { useState } from "react";
import { useAction } from "next-safe-action/hooks";
import { updateStaffAccessAction } from "@/lib/actions/staff";
import { roles, roleLabels, type Role } from "@/lib/auth/permissions";
import { Button } from "@/components/ui/button";

export function StaffAccessForm({ staff }: { staff: { id: string; email: string; role: Role; active: boolean } }) {
  const [role, setRole] = useState<Role>(staff.role);
  const [active, setActive] = useState(staff.active);
  const [reason, setReason] = useState("");
  const { execute, result, isPending } = useAction(updateStaffAccessAction);
  const prefix = `staff-${staff.id}`;
  const fieldErrors = result.validationErrors as Record<string, { _errors?: string[] }> | undefined;
  const reasonError = fieldErrors?.reason?._errors?.[0];
  const serverError = result.serverError?.message;

  return (
    <form
      className="flex flex-wrap items-end gap-2"
      aria-label={`Change access for ${staff.email}`}
      onSubmit={(e) => {
        e.preventDefault();
        execute({ staffId: staff.id, role, active, reason });
      }}
    >
      <div>
        <label htmlFor={`${prefix}-role`} className="block text-xs text-slate-600">Role for {staff.email}</label>
        <select id={`${prefix}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)} className="rounded border border-slate-300 px-2 py-1 text-sm">
          {roles.map((r) => <option key={r} value={r}>{roleLabels[r]}</option>)}
        </select>
      </div>
      <label className="flex items-center gap-1 text-xs">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Active
      </label>
      <div>
        <label htmlFor={`${prefix}-reason`} className="block text-xs text-slate-600">Reason</label>
        <input id={`${prefix}-reason`} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={reasonError ? true : undefined} aria-describedby={reasonError ? `${prefix}-reason-error` : undefined} className="w-40 rounded border border-slate-300 px-2 py-1 text-sm" />
        {reasonError ? <p id={`${prefix}-reason-error`} className="text-xs text-red-700">{reasonError}</p> : null}
      </div>
      <Button type="submit" variant="secondary" disabled={isPending}>{isPending ? "Saving…" : "Save access"}</Button>
      <p role="status" className="text-xs">
        {serverError ? <span className="text-red-700">{serverError}</span> : result.data?.changed ? <span className="text-emerald-800">Saved (audit event #{result.data.auditId})</span> : result.data ? "No change" : null}
      </p>
    </form>
  );
}
