// Finance admins edit the anomaly thresholds (settings keys `anomaly.*`). Every value is
// validated against its definition in anomaly-check.ts; any invalid field rejects the whole form
// (nothing written). Changed values are written and audited together.
import "server-only";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";
import { parseThresholdValue, THRESHOLD_SETTINGS, thresholdFormValues, type ThresholdSetting } from "../billing/anomaly-check";

export async function getAnomalyThresholdValues(db: Db): Promise<Record<string, string>> {
  return thresholdFormValues(await db.setting.findMany({ where: { key: { startsWith: "anomaly." } } }));
}

/** How a value is stored: whole numbers as JSON numbers (as the seed writes them), decimals as strings, kinds as an array. */
function storedValue(setting: ThresholdSetting, value: string): Prisma.InputJsonValue {
  if (setting.kind === "kinds") return value.split(",").filter(Boolean);
  if (setting.kind === "decimal") return value;
  return Number(value);
}

export async function updateAnomalyThresholds(db: Db, actor: Actor, values: Record<string, string>) {
  assertCan(actor, "anomaly_settings.edit");
  const fieldErrors: Record<string, string> = {};
  const parsed = new Map<string, string>();
  for (const setting of THRESHOLD_SETTINGS) {
    const raw = values[setting.key];
    if (raw === undefined) continue;
    const result = parseThresholdValue(setting, raw);
    if (result.ok) parsed.set(setting.key, result.value);
    else fieldErrors[setting.key] = result.error;
  }
  const unknown = Object.keys(values).filter((k) => !THRESHOLD_SETTINGS.some((s) => s.key === k));
  if (unknown.length) throw new AppError("INVALID_INPUT", `Unknown threshold: ${unknown.join(", ")}.`);
  if (Object.keys(fieldErrors).length) throw new AppError("INVALID_INPUT", "Some thresholds need attention.", fieldErrors);

  return db.$transaction(async (tx) => {
    const current = thresholdFormValues(await tx.setting.findMany({ where: { key: { startsWith: "anomaly." } } }));
    const changed = THRESHOLD_SETTINGS.filter((s) => parsed.has(s.key) && parsed.get(s.key) !== current[s.key]);
    if (changed.length === 0) return { changed: [] as string[], auditId: null };
    for (const s of changed) {
      const value = storedValue(s, parsed.get(s.key)!);
      await tx.setting.upsert({ where: { key: s.key }, create: { key: s.key, value, updatedById: actor.id }, update: { value, updatedById: actor.id } });
    }
    const audit = await recordAudit(tx, actor, {
      action: "anomaly_thresholds.updated",
      targetType: "settings",
      targetId: "anomaly",
      before: Object.fromEntries(changed.map((s) => [s.key, current[s.key]])),
      after: Object.fromEntries(changed.map((s) => [s.key, parsed.get(s.key)])),
    });
    return { changed: changed.map((s) => s.key), auditId: audit.id.toString() };
  });
}
