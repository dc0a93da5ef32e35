import type { Permission } from "@/lib/auth/permissions";

/** Navigation shows only sections that exist and that the role may use. */
export const navItems: Array<{ href: string; label: string; permission: Permission }> = [
  { href: "/", label: "Home", permission: "customers.view" },
  { href: "/customers", label: "Customers", permission: "customers.view" },
  { href: "/invoices", label: "Invoices", permission: "customers.view" },
  { href: "/credits", label: "Credits", permission: "customers.view" },
  { href: "/plans", label: "Plans", permission: "customers.view" },
  { href: "/reconciliation", label: "Reconciliation", permission: "reconciliation.view" },
  { href: "/audit", label: "Audit", permission: "audit.view" },
  { href: "/settings", label: "Settings", permission: "admin.manage" },
];
