import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-xl font-semibold">Not found</h1>
      <p className="mt-2 text-slate-600">There is nothing at this address. It may have been mistyped, or the record does not exist.</p>
      <p className="mt-4"><Link className="text-indigo-700 underline" href="/customers">Back to customers</Link></p>
    </main>
  );
}
