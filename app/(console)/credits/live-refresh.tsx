"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** While a bulk credit runs, re-renders the page's server data every 2 s (progress is on the job row). */
export function LiveRefresh({ active }: { active: boolean }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => router.refresh(), 2_000);
    return () => clearInterval(timer);
  }, [active, router]);
  return null;
}
