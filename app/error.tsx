"use client";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-slate-600">
        The page could not be shown{error.digest ? ` (ref ${error.digest})` : ""}. Nothing you entered was lost; try again.
      </p>
      <button type="button" onClick={reset} className="mt-4 rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white">
        Try again
      </button>
    </main>
  );
}
