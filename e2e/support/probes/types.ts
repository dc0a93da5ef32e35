import type { Permission } from "../../../lib/auth/permissions";

/**
 * One protected server action: its permission, and arguments for a call that is valid but
 * harmless when allowed (so every role can be probed against a shared database).
 */
export type ActionProbe = { name: string; permission: Permission; args: () => Promise<unknown[]> };
export type PathProbe = { path: string; permission: Permission };
