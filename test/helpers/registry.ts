/**
 * The host-wide network registry tests use: scripts/run-tests.mjs makes one per run and exports
 * QUANTUM_REGISTRY_DIR; a test file run on its own gets a temp one, removed when the process exits.
 * Set in process.env too, so daemons and quantumctl spawned with it inherit the same registry.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function testRegistryDir(): string {
  let dir = process.env["QUANTUM_REGISTRY_DIR"];
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), "qreg-"));
    process.on("exit", () => rmSync(made, { recursive: true, force: true }));
    process.env["QUANTUM_REGISTRY_DIR"] = made;
    dir = made;
  }
  return dir;
}

testRegistryDir();
