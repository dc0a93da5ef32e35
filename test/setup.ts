// Server modules import "server-only", which throws outside React Server Components.
// Tests exercise those modules directly, so stub it out here.
import { vi } from "vitest";

vi.mock("server-only", () => ({}));
