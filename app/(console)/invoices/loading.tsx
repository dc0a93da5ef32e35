export default function Loading() {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <span className="sr-only">Loading the review queue…</span>
      <div className="h-7 w-40 animate-pulse rounded bg-slate-200" />
      <div className="h-16 animate-pulse rounded bg-slate-200" />
      {Array.from({ length: 8 }, (_, i) => <div key={i} className="h-8 animate-pulse rounded bg-slate-100" />)}
    </div>
  );
}
