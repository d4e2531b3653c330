import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CniError } from "./errors.js";
import {
  CURRENT_VERSION,
  checkCommandVersion,
  chooseConfListVersion,
  compareVersions,
  isSupportedVersion,
  parseVersion,
  requireSupportedVersion,
  SUPPORTED_VERSIONS,
  versionInfo,
} from "./version.js";

const code = (c: number) => (e: unknown) => e instanceof CniError && e.code === c;

describe("versions", () => {
  test("seven supported versions, oldest first, 1.1.0 current", () => {
    assert.deepEqual([...SUPPORTED_VERSIONS], ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]);
    assert.equal(CURRENT_VERSION, "1.1.0");
    assert.ok(isSupportedVersion("0.3.1"));
    assert.ok(!isSupportedVersion("0.5.0"));
  });

  test("parseVersion follows Go: empty = 0.1.0, missing parts = 0, too many parts or junk = code 6", () => {
    assert.deepEqual(parseVersion(""), [0, 1, 0]);
    assert.deepEqual(parseVersion("1"), [1, 0, 0]);
    assert.deepEqual(parseVersion("1.1"), [1, 1, 0]);
    assert.throws(() => parseVersion("1.0.0.0"), code(6));
    assert.throws(() => parseVersion("1.x.0"), /invalid version "1.x.0"/);
  });

  test("compareVersions orders numerically", () => {
    assert.ok(compareVersions("0.10.0", "0.4.0") > 0);
    assert.ok(compareVersions("0.3.1", "0.4.0") < 0);
    assert.equal(compareVersions("1.0", "1.0.0"), 0);
  });

  test("VERSION answer: current version and all seven (vector 1)", () => {
    assert.deepEqual(versionInfo(), { cniVersion: "1.1.0", supportedVersions: [...SUPPORTED_VERSIONS] });
  });

  test("an unsupported config version is code 1 with skel's details", () => {
    assert.equal(requireSupportedVersion("0.4.0"), "0.4.0");
    assert.throws(
      () => requireSupportedVersion("9.0.0"),
      (e: unknown) => e instanceof CniError && e.code === 1 && /config is "9.0.0"/.test(e.details ?? ""),
    );
  });
});

describe("verb gates", () => {
  const allowed: Record<string, string[]> = {
    CHECK: ["0.4.0", "1.0.0", "1.1.0"],
    GC: ["1.1.0"],
    STATUS: ["1.1.0"],
    ADD: [...SUPPORTED_VERSIONS],
    DEL: [...SUPPORTED_VERSIONS],
  };
  for (const [cmd, ok] of Object.entries(allowed)) {
    for (const v of SUPPORTED_VERSIONS) {
      test(`[${v}] ${cmd} ${ok.includes(v) ? "is allowed" : "is code 1"}`, () => {
        const run = () => checkCommandVersion(cmd as "ADD", v);
        if (ok.includes(v)) assert.doesNotThrow(run);
        else assert.throws(run, (e: unknown) => code(1)(e) && (e as CniError).msg.includes(cmd));
      });
    }
  }

  test("a newer-than-supported version is code 1 for CHECK, an unparseable one code 6", () => {
    assert.throws(() => checkCommandVersion("CHECK", "9.9.9"), /plugin version does not allow CHECK/);
    assert.throws(() => checkCommandVersion("GC", "one"), code(6));
  });
});

describe("conflist version choice", () => {
  test("vector 16: highest of cniVersion ∪ cniVersions, ignoring > 1.1.0", () => {
    assert.equal(chooseConfListVersion("0.3.1", ["0.4.0", "1.0.0", "1.1.0", "2.0.0"]), "1.1.0");
  });
  test("cniVersion alone is taken as is; nothing at all means 0.1.0", () => {
    assert.equal(chooseConfListVersion("0.4.0", undefined), "0.4.0");
    assert.equal(chooseConfListVersion(undefined, undefined), "0.1.0");
    assert.equal(chooseConfListVersion("1.0.0", []), "1.0.0");
    assert.equal(chooseConfListVersion("2.0.0", ["0.4.0"]), "0.4.0");
  });
  test("an unparseable entry is code 6", () => {
    assert.throws(() => chooseConfListVersion("1.0.0", ["x.y"]), code(6));
  });
});
