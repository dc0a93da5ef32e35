import { defineConfig } from "vitest/config";
import path from "node:path";

const alias = { "@": path.resolve(import.meta.dirname) };
const roots = ["lib", "prisma", "scripts", "test", "components", "app"];

// Two projects: pure unit tests, and *.db.test.ts files that need a real PostgreSQL
// (the global setup starts one only for them).
export default defineConfig({
  resolve: { alias },
  test: {
    setupFiles: ["test/setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: roots.map((r) => `${r}/**/*.test.ts`),
          exclude: ["**/*.db.test.ts", "node_modules/**"],
          environment: "node",
          setupFiles: ["test/setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "db",
          include: roots.map((r) => `${r}/**/*.db.test.ts`),
          exclude: ["node_modules/**"],
          environment: "node",
          globalSetup: ["test/global-setup.ts"],
          setupFiles: ["test/setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
