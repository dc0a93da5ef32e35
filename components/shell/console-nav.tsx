"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect } from "react";
import { signOut } from "next-auth/react";

type Item = { href: string; label: string };

export function ConsoleNav({ items, who }: { items: Item[]; who: { name: string; email: string; roleLabel: string } }) {
  const pathname = usePathname();
  const router = useRouter();

  // "/" focuses customer search from anywhere (or opens the customer list to search there).
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
      e.preventDefault();
      const search = document.getElementById("customer-search") as HTMLInputElement | null;
      if (search) {
        search.focus();
        search.select();
      } else {
        router.push("/customers?focus=search");
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [router]);

  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-7xl items-center gap-6 px-4 py-2">
        <Link href="/" className="font-semibold text-indigo-800">Meterdesk</Link>
        <nav aria-label="Main">
          <ul className="flex gap-1 text-sm">
            {items.map((item) => {
              const current = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={current ? "page" : undefined}
                    className={`rounded px-2 py-1 ${current ? "bg-indigo-50 font-medium text-indigo-800" : "text-slate-700 hover:bg-slate-100"}`}
                  >
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="ml-auto flex items-center gap-3 text-sm">
          <span className="text-slate-600">
            <span className="font-medium text-slate-800">{who.name}</span> · {who.roleLabel}
          </span>
          <button type="button" onClick={() => void signOut({ callbackUrl: "/login" })} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-100">
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
