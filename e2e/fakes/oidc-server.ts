// A local OpenID Connect issuer for end-to-end tests of single sign-on (npm oidc-provider).
// Its built-in development login form accepts any account name; the accounts below carry
// the groups that Meterdesk maps to roles.
import Provider from "oidc-provider";

export type OidcAccount = { sub: string; email: string; name: string; groups: string[] };

export const oidcAccounts: Record<string, OidcAccount> = {
  "sso-finance": { sub: "sso-finance", email: "ana.finance@sso.example", name: "Ana Okafor", groups: ["mdk-finance", "everyone"] },
  "sso-support": { sub: "sso-support", email: "lee.support@sso.example", name: "Lee Moreau", groups: ["mdk-support"] },
  "sso-nobody": { sub: "sso-nobody", email: "kim.nobody@sso.example", name: "Kim Nobody", groups: ["everyone"] },
};

export async function startOidcServer(opts: { port: number; appUrl: string; clientId: string; clientSecret: string }) {
  const issuer = `http://localhost:${opts.port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: [`${opts.appUrl}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    // Put the scope's claims in the id_token: next-auth reads the profile from it (idToken: true).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ["meterdesk-e2e-oidc"] },
    async findAccount(_ctx, id) {
      const account = oidcAccounts[id] ?? { sub: id, email: `${id}@sso.example`, name: id, groups: [] };
      return {
        accountId: id,
        async claims() {
          return { sub: account.sub, email: account.email, email_verified: true, name: account.name, groups: account.groups };
        },
      };
    },
    features: { devInteractions: { enabled: true } },
  });
  provider.proxy = false;
  const server = provider.listen(opts.port);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return { issuer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
