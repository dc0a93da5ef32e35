import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-xl font-semibold">Not allowed</h1>
      <p className="mt-2 text-slate-600">Your role does not give access to this page. If you need it, ask an admin to change your role.</p>
      <p className="mt-4"><Link className="text-indigo-700 underline" href="/">Back to home</Link></p>
    </main>
  );
}
