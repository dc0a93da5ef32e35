// Which sign-in methods are on, from the environment. Pure so it can be tested.

export const DEMO_EMAIL_DOMAIN = "demo.meterdesk.test";

/** Credentials (demo) sign-in: on outside production, off in production unless explicitly enabled. */
export function credentialsLoginEnabled(env: Record<string, string | undefined> = process.env): boolean {
  const flag = env.MD_CREDENTIALS_LOGIN?.toLowerCase();
  if (flag === "true" || flag === "1") return true;
  if (flag === "false" || flag === "0") return false;
  return env.NODE_ENV !== "production";
}

export function demoPassword(env: Record<string, string | undefined> = process.env): string {
  return env.MD_DEMO_PASSWORD ?? "meterdesk";
}

export type OidcConfig = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  groupsClaim: string;
  /** IdP group → Meterdesk role; the first listed role that matches wins. */
  roleMap: Array<{ group: string; role: string }>;
  name: string;
};

/**
 * OIDC_ROLE_MAP is "group=role,group=role", e.g. "billing-admins=admin,finance-team=finance".
 * Order matters: when a person is in several mapped groups, the earliest entry wins, so list
 * the most privileged mapping first only if that is what you intend.
 */
export function oidcConfig(env: Record<string, string | undefined> = process.env): OidcConfig | null {
  if (!env.OIDC_ISSUER || !env.OIDC_CLIENT_ID || !env.OIDC_CLIENT_SECRET) return null;
  const roleMap = (env.OIDC_ROLE_MAP ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const [group, role] = pair.split("=").map((s) => s.trim());
      return { group: group ?? "", role: role ?? "" };
    })
    .filter((m) => m.group && m.role);
  return {
    issuer: env.OIDC_ISSUER,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    groupsClaim: env.OIDC_GROUPS_CLAIM ?? "groups",
    roleMap,
    name: env.OIDC_NAME ?? "Single sign-on",
  };
}

export function roleFromGroups(groups: unknown, roleMap: OidcConfig["roleMap"]): string | null {
  const list = Array.isArray(groups) ? groups.map(String) : typeof groups === "string" ? [groups] : [];
  for (const { group, role } of roleMap) if (list.includes(group)) return role;
  return null;
}
