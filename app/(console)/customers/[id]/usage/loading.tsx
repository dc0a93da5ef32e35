export default function Loading() {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <span className="sr-only">Loading usage…</span>
      <div className="h-16 animate-pulse rounded bg-slate-200" />
      <div className="grid gap-4 lg:grid-cols-2">
        {Array.from({ length: 4 }, (_, i) => <div key={i} className="h-72 animate-pulse rounded-lg bg-slate-100" />)}
      </div>
      {Array.from({ length: 6 }, (_, i) => <div key={i} className="h-8 animate-pulse rounded bg-slate-100" />)}
    </div>
  );
}
