import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { diffMigrationsToSchema } from "../scripts/db/engine";

describe("migrations", () => {
  it("take an empty database exactly to schema.prisma (no drift)", async () => {
    const sql = await diffMigrationsToSchema(inject("testServerUrl"));
    const statements = sql
      .split("\n")
      .filter((line) => line.trim() && !line.trim().startsWith("--"));
    expect(statements).toEqual([]);
  }, 60_000);
});
