// The one table of what each role may do (DESIGN.md "Roles and what they may do").
// Pure data: the navigation reads it to hide what a role cannot use, and the server enforces
// it on every page, action and route (hiding a link is not a check).

import { AppError } from "@/lib/errors";

export const roles = ["support", "support_lead", "finance", "finance_admin", "product", "admin"] as const;
export type Role = (typeof roles)[number];

export const roleLabels: Record<Role, string> = {
  support: "Support",
  support_lead: "Support lead",
  finance: "Finance",
  finance_admin: "Finance admin",
  product: "Product",
  admin: "Admin",
};

export const permissions = [
  "customers.view",
  "credits.issue",
  "credits.approve",
  "credits.void",
  "plans.change",
  "bulk_credits.prepare",
  "bulk_credits.approve",
  "invoices.review",
  "anomaly_settings.edit",
  "reconciliation.view",
  "reconciliation.resync",
  "audit.view",
  "admin.manage",
] as const;
export type Permission = (typeof permissions)[number];

const everyone: Role[] = [...roles];

export const permissionTable: Record<Permission, readonly Role[]> = {
  "customers.view": everyone,
  "credits.issue": ["support", "support_lead", "finance", "finance_admin", "admin"],
  "credits.approve": ["support_lead", "finance", "finance_admin", "admin"],
  "credits.void": ["support_lead", "finance", "finance_admin", "admin"],
  "plans.change": ["support_lead", "finance", "finance_admin", "admin"],
  "bulk_credits.prepare": ["support_lead", "finance", "finance_admin", "admin"],
  "bulk_credits.approve": ["finance", "finance_admin", "admin"],
  "invoices.review": ["finance", "finance_admin"],
  "anomaly_settings.edit": ["finance_admin"],
  "reconciliation.view": everyone,
  "reconciliation.resync": ["finance", "finance_admin", "admin"],
  "audit.view": ["support_lead", "finance", "finance_admin", "admin"],
  "admin.manage": ["admin"],
};

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return role != null && permissionTable[permission].includes(role);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}

/** Default credit limits in major units of the customer's currency; null = unlimited. */
export const defaultCreditLimits: Record<Role, number | null> = {
  support: 100,
  support_lead: 1_000,
  finance: 10_000,
  finance_admin: 100_000,
  product: 0,
  admin: null,
};

/**
 * The check every service that changes something makes itself, whoever calls it (server
 * action, route, worker, test): the action middleware's check is not the only line.
 */
export function assertCan(actor: { role: Role }, permission: Permission): void {
  if (!can(actor.role, permission)) throw new AppError("FORBIDDEN");
}
