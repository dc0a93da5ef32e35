import "server-only";
import { db } from "../db";

export type InvoiceLineDto = {
  id: string;
  position: number;
  kind: string;
  description: string;
  meterKey: string | null;
  quantity: string | null;
  unitPrice: string | null;
  amountMinor: string;
  detail: unknown;
};

export type InvoiceDto = {
  id: string;
  number: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  subtotalMinor: string;
  creditsAppliedMinor: string;
  totalMinor: string;
  status: string;
  issuedAt: string | null;
  lines: InvoiceLineDto[];
};

export async function listCustomerInvoices(customerId: string, page: number, pageSize = 12): Promise<{ rows: InvoiceDto[]; total: number }> {
  const [rows, total] = await Promise.all([
    db.invoice.findMany({
      where: { customerId },
      orderBy: { periodStart: "desc" },
      skip: (page - 1) * pageSize,
      take: pageSize,
      include: { lines: { orderBy: { position: "asc" } } },
    }),
    db.invoice.count({ where: { customerId } }),
  ]);
  return {
    total,
    rows: rows.map((inv) => ({
      id: inv.id,
      number: inv.number,
      periodStart: inv.periodStart.toISOString(),
      periodEnd: inv.periodEnd.toISOString(),
      currency: inv.currency,
      subtotalMinor: inv.subtotalMinor.toString(),
      creditsAppliedMinor: inv.creditsAppliedMinor.toString(),
      totalMinor: inv.totalMinor.toString(),
      status: inv.status,
      issuedAt: inv.issuedAt?.toISOString() ?? null,
      lines: inv.lines.map((l) => ({
        id: l.id,
        position: l.position,
        kind: l.kind,
        description: l.description,
        meterKey: l.meterKey,
        quantity: l.quantity?.toString() ?? null,
        unitPrice: l.unitPrice?.toString() ?? null,
        amountMinor: l.amountMinor.toString(),
        detail: l.detail,
      })),
    })),
  };
}
