"use client";

import Link from "next/link";
import { useSyncExternalStore } from "react";

// Outcomes of approve/reject outlive the row they were made in: once decided, the request
// leaves the waiting list on the next render, so its message is shown above the list instead.
export type DecisionNotice = { id: string; text: string; customerId: string; auditId: string };

let notices: DecisionNotice[] = [];
const EMPTY: DecisionNotice[] = [];
const listeners = new Set<() => void>();

export function pushDecisionNotice(notice: DecisionNotice) {
  notices = [notice, ...notices.filter((n) => n.id !== notice.id)].slice(0, 5);
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function DecisionNotices() {
  const list = useSyncExternalStore(subscribe, () => notices, () => EMPTY);
  if (!list.length) return null;
  return (
    <ul role="status" aria-label="Decisions you just made" className="space-y-1">
      {list.map((n) => (
        <li key={n.id} className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          {n.text}{" "}
          <Link className="underline" href={`/customers/${n.customerId}/activity`}>Audit event #{n.auditId}</Link>
        </li>
      ))}
    </ul>
  );
}
