// npm test: every suite — unit and database tests (Vitest, on an embedded PostgreSQL unless
// TEST_DATABASE_URL is set), then a production build and the Playwright end-to-end tests in
// Chromium — and one closing line with the totals: "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const results = path.join(root, "test-results");
const only = process.argv.slice(2); // e.g. `npm test -- unit` or `npm test -- e2e`
const wants = (suite) => only.length === 0 || only.includes(suite);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function run(label, cmd, args) {
  console.log(`\n=== ${label} ===`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env });
  return r.status ?? 1;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** Chromium for Playwright: an explicit path, Debian's package, or Playwright's own download. */
function ensureChromium() {
  if (process.env.CHROMIUM_PATH || existsSync("/usr/bin/chromium")) return;
  const home = process.env.PLAYWRIGHT_BROWSERS_PATH ?? path.join(process.env.HOME ?? "", ".cache", "ms-playwright");
  if (existsSync(home)) return;
  if (process.platform === "linux" && userInfo().uid === 0 && existsSync("/usr/bin/apt-get")) {
    console.log("Chromium is missing: installing Debian's chromium package…");
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit" });
  }
}

mkdirSync(results, { recursive: true });
let passed = 0;
let failed = 0;
let stepFailures = 0;

if (wants("unit") || wants("db")) {
  const vitestJson = path.join(results, "vitest.json");
  rmSync(vitestJson, { force: true });
  const projects = ["unit", "db"].filter(wants).flatMap((p) => ["--project", p]);
  const code = run("unit and database tests (vitest)", process.execPath, [
    path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...projects,
    "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`,
  ]);
  const report = readJson(vitestJson);
  if (report) {
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites && !report.numFailedTests ? report.numFailedTestSuites : 0);
  }
  if (code !== 0 && (!report || !report.numFailedTests)) stepFailures += 1;
}

if (wants("e2e")) {
  ensureChromium();
  const e2eJson = path.join(results, "e2e-results.json");
  rmSync(e2eJson, { force: true });
  const build = run("production build (next build)", process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"]);
  if (build !== 0) {
    stepFailures += 1;
  } else {
    const code = run("end-to-end tests (playwright)", process.execPath, [path.join(root, "node_modules", "@playwright", "test", "cli.js"), "test"]);
    const report = readJson(e2eJson);
    if (report?.stats) {
      passed += report.stats.expected ?? 0;
      failed += (report.stats.unexpected ?? 0) + (report.stats.flaky ?? 0);
    }
    if (code !== 0 && !(report?.stats?.unexpected > 0)) stepFailures += 1;
  }
}

failed += stepFailures;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
