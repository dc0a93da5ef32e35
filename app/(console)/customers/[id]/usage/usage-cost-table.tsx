import { Money } from "@/components/ui/money";
import { Table, Td, Th } from "@/components/ui/table";
import { formatQuantity } from "@/components/charts/usage-chart-data";
import type { UsageCost } from "@/lib/server/queries/usage";

/** Per meter: usage this period, allowance, what is billable, its cost so far and at period end. */
export function UsageCostTable({ cost, periodLabel }: { cost: UsageCost; periodLabel: string }) {
  const dash = <span className="text-slate-400">—</span>;
  return (
    <Table caption={`Usage and cost to date by meter, ${periodLabel}`}>
      <thead>
        <tr>
          <Th>Meter</Th>
          <Th align="right">Quantity this period</Th>
          <Th align="right">Included</Th>
          <Th align="right">Billable</Th>
          <Th align="right">Cost to date</Th>
          <Th align="right">Run rate per day</Th>
          <Th align="right">Projected quantity</Th>
          <Th align="right">Projected cost</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {cost.rows.map((r) => (
          <tr key={r.meterKey}>
            <Td>
              {r.name} {r.unit ? <span className="text-slate-500">({r.unit})</span> : null}
              {r.costMinor === null ? <span className="block text-xs text-amber-800">Not priced by the plan in force</span> : null}
            </Td>
            <Td align="right" className="tabular">{formatQuantity(r.quantity, 3)}</Td>
            <Td align="right" className="tabular">{formatQuantity(r.included, 3)}</Td>
            <Td align="right" className="tabular">{formatQuantity(r.billable, 3)}</Td>
            <Td align="right">{r.costMinor === null ? dash : <Money minor={r.costMinor} currency={cost.currency} />}</Td>
            <Td align="right" className="tabular">{r.runRatePerDay === null ? dash : formatQuantity(r.runRatePerDay, 3)}</Td>
            <Td align="right" className="tabular">{r.projectedQuantity === null ? dash : formatQuantity(r.projectedQuantity, 3)}</Td>
            <Td align="right">{r.projectedCostMinor === null ? dash : <Money minor={r.projectedCostMinor} currency={cost.currency} />}</Td>
          </tr>
        ))}
      </tbody>
      <tfoot className="border-t border-slate-300 font-medium">
        <tr>
          <Td colSpan={4} align="right">Usage charges</Td>
          <Td align="right"><Money minor={cost.totalCostMinor} currency={cost.currency} /></Td>
          <Td colSpan={2} />
          <Td align="right">{cost.projectedTotalCostMinor === null ? dash : <Money minor={cost.projectedTotalCostMinor} currency={cost.currency} />}</Td>
        </tr>
      </tfoot>
    </Table>
  );
}
