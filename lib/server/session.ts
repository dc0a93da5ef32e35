import "server-only";
import { cache } from "react";
import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import { authOptions } from "./auth-options";
import { db } from "./db";
import { can, type Permission, type Role } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";

export type Actor = { id: string; email: string; name: string; role: Role };

/**
 * The signed-in staff member, with the role re-read from the database on every request:
 * a demoted or deactivated user loses rights at once, whatever their session cookie says.
 */
export const getActor = cache(async (): Promise<Actor | null> => {
  const session = await getServerSession(authOptions);
  const staffId = (session as { staffId?: string } | null)?.staffId;
  if (!staffId) return null;
  const staff = await db.staffUser.findUnique({ where: { id: staffId } });
  if (!staff || !staff.active) return null;
  return { id: staff.id, email: staff.email, name: staff.name, role: staff.role };
});

export async function requireActor(): Promise<Actor> {
  const actor = await getActor();
  if (!actor) throw new AppError("UNAUTHENTICATED");
  return actor;
}

export async function requirePermission(permission: Permission): Promise<Actor> {
  const actor = await requireActor();
  if (!can(actor.role, permission)) throw new AppError("FORBIDDEN");
  return actor;
}

/** For pages: no session → sign-in page; a role without the permission → 403. */
export async function requirePagePermission(permission: Permission): Promise<Actor> {
  const actor = await getActor();
  if (!actor) redirect("/login");
  if (!can(actor.role, permission)) forbidden();
  return actor;
}
