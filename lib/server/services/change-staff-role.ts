import "server-only";
import { assertCan, type Role } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { db } from "../db";
import { recordAudit } from "../audit";
import type { Actor } from "../session";

/**
 * Changes a staff member's role or active flag. Takes effect on their next request: the role
 * is re-read from the database on every check. Admins cannot change their own account, so the
 * last admin cannot lock everyone out by accident.
 */
export async function updateStaffAccess(actor: Actor, input: { staffId: string; role: Role; active: boolean; reason: string }) {
  assertCan(actor, "admin.manage");
  if (input.staffId === actor.id) throw new AppError("INVALID_INPUT", "You cannot change your own role or deactivate yourself.", { role: "Ask another admin to change your account." });
  return db.$transaction(async (tx) => {
    const before = await tx.staffUser.findUnique({ where: { id: input.staffId } });
    if (!before) throw new AppError("NOT_FOUND", "That staff member does not exist.");
    if (before.role === input.role && before.active === input.active) return { changed: false, auditId: null };
    const after = await tx.staffUser.update({ where: { id: input.staffId }, data: { role: input.role, active: input.active } });
    const audit = await recordAudit(tx, actor, {
      action: "staff.access_changed",
      targetType: "staff_user",
      targetId: after.id,
      before: { email: before.email, role: before.role, active: before.active },
      after: { email: after.email, role: after.role, active: after.active },
      reason: input.reason,
    });
    return { changed: true, auditId: audit.id.toString() };
  });
}
