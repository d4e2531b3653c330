// Runs every compiled test file (dist/**/*.test.js) with node's built-in test runner.
// Unit tests live next to their module in src/, integration tests (root, netns) in test/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filter = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

let files = walk(join(root, "dist")).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((pat) => f.includes(pat)));
if (files.length === 0) {
  console.error("no test files found under dist/: run `npm run build` first");
  process.exit(1);
}
const env = { ...process.env };
// Node start-up timing inside tests should match what runtimes see.
delete env.NODE_EXTRA_CA_CERTS;
// The host-wide network registry of the tests' networks: never the machine's /var/lib/quantum.
const registry = env.QUANTUM_REGISTRY_DIR ? undefined : mkdtempSync(join(tmpdir(), "qreg-"));
if (registry) env.QUANTUM_REGISTRY_DIR = registry;
// The production paths the tests must never write (they all have a private one).
const guarded = ["/var/lib/quantum", "/run/quantum"];
const existedBefore = new Set(guarded.filter((p) => existsSync(p)));
const res = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files.map((f) => relative(root, f))], {
  cwd: root,
  stdio: "inherit",
  env,
});
if (registry) rmSync(registry, { recursive: true, force: true });
const leaked = guarded.filter((p) => !existedBefore.has(p) && existsSync(p));
if (leaked.length > 0) {
  console.error(`tests wrote the machine's own ${leaked.join(" and ")} (a test without its private paths): failing`);
  process.exit(1);
}
process.exit(res.status ?? 1);
