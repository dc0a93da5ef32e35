import Link from "next/link";
import type { AuditRow } from "@/lib/server/queries/audit";
import { DateTime } from "@/components/ui/date-time";
import { Table, Td, Th } from "@/components/ui/table";

function summary(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

export function AuditTable({ rows, caption, showCustomer = true }: { rows: AuditRow[]; caption: string; showCustomer?: boolean }) {
  return (
    <Table caption={caption}>
      <thead>
        <tr>
          <Th>Event</Th>
          <Th>When</Th>
          <Th>Actor</Th>
          <Th>Action</Th>
          {showCustomer ? <Th>Customer</Th> : null}
          <Th>Target</Th>
          <Th>Change</Th>
          <Th>Reason</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((e) => (
          <tr key={e.id} id={`audit-${e.id}`}>
            <Td className="font-mono text-xs">#{e.id}</Td>
            <Td><DateTime iso={e.occurredAt} /></Td>
            <Td>
              {e.actorEmail}
              {e.actorRole ? <span className="block text-xs text-slate-500">{e.actorRole}</span> : null}
            </Td>
            <Td className="font-mono text-xs">{e.action}</Td>
            {showCustomer ? (
              <Td>{e.customerId ? <Link className="text-indigo-700 hover:underline" href={`/customers/${e.customerId}/activity`}>{e.customerName ?? e.customerId}</Link> : "—"}</Td>
            ) : null}
            <Td className="text-xs">{e.targetType}{e.targetId ? <span className="block font-mono text-slate-500">{e.targetId}</span> : null}</Td>
            <Td className="max-w-md text-xs">
              {e.before !== null && e.before !== undefined ? <span className="block text-slate-500">before: {summary(e.before)}</span> : null}
              {e.after !== null && e.after !== undefined ? <span className="block">after: {summary(e.after)}</span> : null}
            </Td>
            <Td className="text-xs">{e.reason ?? ""}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
