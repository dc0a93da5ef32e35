import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { timingSafeEqual } from "node:crypto";
import { db } from "./db";
import { recordAudit } from "./audit";
import { credentialsLoginEnabled, demoPassword, oidcConfig, roleFromGroups } from "@/lib/auth/config";
import { isRole } from "@/lib/auth/permissions";

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function buildProviders(): NextAuthOptions["providers"] {
  const providers: NextAuthOptions["providers"] = [];
  const oidc = oidcConfig();
  if (oidc) {
    providers.push({
      id: "oidc",
      name: oidc.name,
      type: "oauth",
      wellKnown: `${oidc.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state"],
      profile(profile: Record<string, unknown>) {
        return {
          id: String(profile.sub),
          email: String(profile.email ?? ""),
          name: String(profile.name ?? profile.email ?? profile.sub),
          groups: profile[oidc.groupsClaim],
        };
      },
    });
  }
  if (credentialsLoginEnabled()) {
    providers.push(
      CredentialsProvider({
        id: "credentials",
        name: "Demo account",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials) {
          const email = String(credentials?.email ?? "").trim().toLowerCase();
          const password = String(credentials?.password ?? "");
          if (!email || !sameSecret(password, demoPassword())) return null;
          const staff = await db.staffUser.findUnique({ where: { email } });
          if (!staff || !staff.active || staff.authSource !== "credentials") return null;
          return { id: staff.id, email: staff.email, name: staff.name };
        },
      }),
    );
  }
  return providers;
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login", error: "/login" },
  secret: process.env.NEXTAUTH_SECRET ?? (process.env.NODE_ENV === "production" ? undefined : "meterdesk-dev-secret"),
  providers: buildProviders(),
  callbacks: {
    async signIn({ user, account }) {
      if (account?.provider !== "oidc") return true;
      const oidc = oidcConfig();
      const email = String(user.email ?? "").toLowerCase();
      const role = oidc ? roleFromGroups((user as { groups?: unknown }).groups, oidc.roleMap) : null;
      if (!email || !isRole(role)) return "/login?error=NoRole";
      // The identity provider's groups decide the role at every sign-in; the staff row is
      // created on first sign-in. A deactivated staff row stays deactivated.
      const existing = await db.staffUser.findUnique({ where: { email } });
      if (existing && !existing.active) return "/login?error=Deactivated";
      await db.staffUser.upsert({
        where: { email },
        create: { email, name: user.name ?? email, role, authSource: oidc!.issuer },
        update: { role, name: user.name ?? existing?.name ?? email },
      });
      return true;
    },
    async jwt({ token, user, account }) {
      if (user && account) {
        const staff = await db.staffUser.findUnique({ where: { email: String(user.email).toLowerCase() } });
        token.staffId = staff?.id;
      }
      return token;
    },
    async session({ session, token }) {
      return { ...session, staffId: token.staffId };
    },
  },
  events: {
    async signIn({ user, account }) {
      const staff = await db.staffUser.update({
        where: { email: String(user.email).toLowerCase() },
        data: { lastSignInAt: new Date() },
      });
      await db.$transaction((tx) =>
        recordAudit(tx, staff, { action: "auth.sign_in", targetType: "staff_user", targetId: staff.id, after: { method: account?.provider } }),
      );
    },
    async signOut({ token }) {
      const staffId = token?.staffId as string | undefined;
      const staff = staffId ? await db.staffUser.findUnique({ where: { id: staffId } }) : null;
      if (!staff) return;
      await db.$transaction((tx) => recordAudit(tx, staff, { action: "auth.sign_out", targetType: "staff_user", targetId: staff.id }));
    },
  },
};
