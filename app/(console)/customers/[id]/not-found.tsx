import Link from "next/link";

export default function CustomerNotFound() {
  return (
    <div className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-xl font-semibold">Customer not found</h1>
      <p className="mt-2 text-slate-600">No customer has this id. It may have been mistyped.</p>
      <p className="mt-4"><Link className="text-indigo-700 underline" href="/customers">Search customers</Link></p>
    </div>
  );
}
