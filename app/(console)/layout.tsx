import type { ReactNode } from "react";
import { redirect } from "next/navigation";
import { can, roleLabels } from "@/lib/auth/permissions";
import { getActor } from "@/lib/server/session";
import { ConsoleNav } from "@/components/shell/console-nav";
import { navItems } from "@/components/shell/nav-items";
import { QueryProvider } from "@/components/query-provider";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const actor = await getActor();
  if (!actor) redirect("/login");
  const items = navItems.filter((i) => can(actor.role, i.permission)).map(({ href, label }) => ({ href, label }));
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:bg-white focus:p-2">Skip to content</a>
      <ConsoleNav items={items} who={{ name: actor.name, email: actor.email, roleLabel: roleLabels[actor.role] }} />
      <main id="main" className="mx-auto max-w-7xl px-4 py-6">
        <QueryProvider>{children}</QueryProvider>
      </main>
    </>
  );
}
