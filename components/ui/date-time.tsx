"use client";

import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * A timestamp in the viewer's time zone, with the UTC instant on hover. The server renders
 * the UTC form; the browser swaps in local time after hydration.
 */
export function DateTime({ iso, dateOnly = false }: { iso: string; dateOnly?: boolean }) {
  const date = new Date(iso);
  const utc = date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const local = useSyncExternalStore(
    subscribe,
    () =>
      dateOnly
        ? date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" })
        : date.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }),
    () => (dateOnly ? utc.slice(0, 10) : utc),
  );
  return (
    <time dateTime={iso} title={utc} className="tabular whitespace-nowrap">
      {local}
    </time>
  );
}
