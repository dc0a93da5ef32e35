import { NextResponse } from "next/server";
import { z } from "zod";
import { db } from "@/lib/server/db";
import { AppError, withPermission } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** A job's progress, for pages that poll while long work runs in the background. */
export const GET = withPermission("customers.view", async (_req, ctx: { params: Promise<{ id: string }> }) => {
  const { id } = await ctx.params;
  if (!z.uuid().safeParse(id).success) throw new AppError("NOT_FOUND");
  const job = await db.job.findUnique({ where: { id } });
  if (!job) throw new AppError("NOT_FOUND");
  return NextResponse.json(
    {
      id: job.id,
      kind: job.kind,
      status: job.status,
      progressDone: job.progressDone,
      progressTotal: job.progressTotal,
      progressFailed: job.progressFailed,
      error: job.error,
      result: job.result,
      createdAt: job.createdAt.toISOString(),
      startedAt: job.startedAt?.toISOString() ?? null,
      finishedAt: job.finishedAt?.toISOString() ?? null,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
});
