// Issue 10, finding 4: dataDir and socketPath are absolute, normalised, without "..", control
// characters or anything the kernel cannot take; refused with code 7 and a bounded message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CniError, parsePluginConfig } from "../cni/index.js";
import { parseQuantumConfig } from "./network-config.js";

const base = { cniVersion: "1.1.0", name: "net1", type: "quantum", subnet: "10.9.0.0/24" };
const parse = (extra: Record<string, unknown>) => parseQuantumConfig(parsePluginConfig({ ...base, ...extra }));

function refused7(extra: Record<string, unknown>, msg: RegExp): void {
  assert.throws(
    () => parse(extra),
    (e: unknown) => {
      assert.ok(e instanceof CniError, String(e));
      assert.equal(e.code, 7, e.msg);
      assert.match(e.msg, msg);
      assert.ok(e.msg.length < 400, `message of ${e.msg.length} characters`);
      return true;
    },
  );
}

describe("dataDir and socketPath", () => {
  test("an absolute normalised dataDir is kept", () => {
    assert.equal(parse({ dataDir: "/var/lib/quantum-a" }).dataDir, "/var/lib/quantum-a");
  });
  const bad: [string, unknown, RegExp][] = [
    ["relative", "state/q", /absolute/],
    ["dot-dot", "/var/lib/../../etc", /"\.\."/],
    ["dot segment", "/var/./lib", /normalised/],
    ["double slash", "/var//lib", /normalised/],
    ["trailing slash", "/var/lib/", /normalised/],
    ["newline", "/var/lib\nx", /control/],
    ["NUL", "/var/lib\u0000x", /control/],
    ["root", "/", /filesystem root/],
    ["10 MB", `/${"d".repeat(10_000_000)}`, /at most/],
    ["a number", 5, /must be a string/],
  ];
  for (const [what, value, msg] of bad) {
    test(`dataDir ${what} is code 7`, () => refused7({ dataDir: value }, new RegExp(`dataDir.*${msg.source}`)));
  }
  test("socketPath must fit sun_path (107 bytes)", () => {
    assert.equal(parse({ socketPath: `/run/${"s".repeat(100)}` }).socketPath?.length, 105);
    refused7({ socketPath: `/run/${"s".repeat(103)}` }, /socketPath.*107 bytes/);
  });
  for (const [what, value, msg] of bad.filter(([w]) => w !== "root" && w !== "10 MB")) {
    test(`socketPath ${what} is code 7`, () =>
      refused7({ socketPath: value }, new RegExp(`socketPath.*${msg.source}`)));
  }
});
