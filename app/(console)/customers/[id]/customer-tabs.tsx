"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export function CustomerTabs({ id, tabs }: { id: string; tabs: Array<{ slug: string; label: string }> }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Customer sections" className="border-b border-slate-200">
      <ul className="flex gap-4 text-sm">
        {tabs.map((t) => {
          const href = `/customers/${id}/${t.slug}`;
          const current = pathname.startsWith(href);
          return (
            <li key={t.slug}>
              <Link
                href={href}
                aria-current={current ? "page" : undefined}
                className={`-mb-px inline-block border-b-2 px-1 py-2 ${current ? "border-indigo-700 font-medium text-indigo-800" : "border-transparent text-slate-600 hover:text-slate-900"}`}
              >
                {t.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
