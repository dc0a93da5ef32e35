export default function Loading() {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <h1 className="text-xl font-semibold">Reconciliation</h1>
      <p className="text-sm text-slate-600">Comparing Meterdesk’s usage with the provider’s…</p>
    </div>
  );
}
