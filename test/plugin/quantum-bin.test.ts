// Runs the real bin/quantum (after `npm run build:ts`) as a runtime would: exec by path, CNI_*
// env, config on stdin. Only protocol-level answers are checked here, no network changes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { testRegistryDir } from "../helpers/registry.js";

// dist/test/plugin/quantum-bin.test.js → repo root.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "quantum");

const ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "ctr1",
  CNI_NETNS: "/run/netns/ctr1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

function quantum(env: Record<string, string>, stdin: string, bin = BIN) {
  // Only PATH is inherited, as a runtime's minimal environment would.
  const res = spawnSync(bin, [], {
    input: stdin,
    // QUANTUM_AUTOSTART=0: no daemon may be started on the machine's default socket.
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      QUANTUM_AUTOSTART: "0",
      QUANTUM_REGISTRY_DIR: testRegistryDir(),
      ...env,
    },
    encoding: "utf8",
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, error: res.error };
}

/** Exit ≠ 0 and a parseable CNI error with `code` on stdout. */
function assertCniError(r: ReturnType<typeof quantum>, code: number): Record<string, unknown> {
  assert.notEqual(r.status, 0, r.stderr);
  const err = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(err["code"], code, r.stdout);
  assert.equal(typeof err["msg"], "string");
  return err;
}

describe("bin/quantum", () => {
  const dir = mkdtempSync(join(tmpdir(), "quantum-bin-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("VERSION prints supportedVersions with all seven versions, exit 0", () => {
    const r = quantum({ CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.0.0"}');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      cniVersion: "1.1.0",
      supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
    });
  });

  test("VERSION through a symlink in another directory (how runtimes install it)", () => {
    const link = join(dir, "quantum");
    symlinkSync(BIN, link);
    const r = quantum({ CNI_COMMAND: "VERSION" }, "", link);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).supportedVersions.length, 7);
  });

  test("missing env is code 4 naming the variables", () => {
    const err = assertCniError(quantum({ CNI_COMMAND: "ADD" }, '{"cniVersion":"1.0.0","name":"n"}'), 4);
    assert.match(String(err["msg"]), /CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH/);
  });

  test("broken JSON is code 6", () => {
    assertCniError(quantum(ADD_ENV, "{broken"), 6);
  });

  test('unknown version "9.9.9" is code 1', () => {
    assertCniError(quantum(ADD_ENV, '{"cniVersion":"9.9.9","name":"tnet","type":"quantum"}'), 1);
  });

  test("no name is code 7", () => {
    assertCniError(quantum(ADD_ENV, '{"cniVersion":"1.0.0","type":"quantum"}'), 7);
  });

  test("CHECK at 0.3.1 is code 1", () => {
    assertCniError(quantum({ ...ADD_ENV, CNI_COMMAND: "CHECK" }, '{"cniVersion":"0.3.1","name":"tnet"}'), 1);
  });

  test("CNI_COMMAND unset: exit 0 and the about line on stderr", () => {
    const r = quantum({}, "");
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /CNI protocol versions supported: 0\.1\.0, 0\.2\.0, 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0/,
    );
  });
});
