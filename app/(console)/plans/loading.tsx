export default function Loading() {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <h1 className="text-xl font-semibold">Plans</h1>
      <p className="text-sm text-slate-600">Loading the catalog and adoption figures…</p>
    </div>
  );
}
