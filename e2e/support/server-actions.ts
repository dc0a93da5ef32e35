// Calls a server action the way the browser does, but directly: the action's id comes from
// Next's build manifest, so a probe can call actions whose buttons a role never sees.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";

type Manifest = { node: Record<string, { exportedName?: string; filename?: string; workers?: Record<string, unknown> }> };

function manifest(): Manifest {
  return JSON.parse(readFileSync(path.join(process.cwd(), ".next", "server", "server-reference-manifest.json"), "utf8")) as Manifest;
}

type ActionRef = { id: string; path: string };

/** "app/(console)/customers/[id]/credits/page" → "/customers/00000000-…/credits" */
function pagePath(worker: string): string {
  const route = worker
    .replace(/^app/, "")
    .replace(/\/page$/, "")
    .split("/")
    .filter((seg) => seg && !/^\(.*\)$/.test(seg))
    .map((seg) => (seg.startsWith("[") ? "00000000-0000-4000-8000-000000000000" : seg))
    .join("/");
  return `/${route}`;
}

/** Every server action in the build, by exported name, with a page that loads it. */
export function listServerActions(): Map<string, ActionRef> {
  const byName = new Map<string, ActionRef>();
  for (const [id, entry] of Object.entries(manifest().node)) {
    if (!entry.exportedName || !entry.filename?.startsWith("lib/actions/")) continue;
    const worker = Object.keys(entry.workers ?? {}).find((w) => w.endsWith("/page")) ?? "app/page";
    byName.set(entry.exportedName, { id, path: pagePath(worker) });
  }
  return byName;
}

function actionRef(name: string): ActionRef {
  const ref = listServerActions().get(name);
  if (!ref) throw new Error(`No server action named ${name} in the build manifest`);
  return ref;
}

/** Posts to the action endpoint; returns the raw RSC response text and status. */
export async function callServerAction(request: APIRequestContext, name: string, args: unknown[]) {
  const ref = actionRef(name);
  const res = await request.post(ref.path, {
    headers: { "Next-Action": ref.id, "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component" },
    data: JSON.stringify(args),
    maxRedirects: 0,
  });
  return { status: res.status(), body: await res.text() };
}
