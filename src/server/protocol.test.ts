import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CniError } from "../cni/errors.js";
import { errorAnswer, parseWireRequest, SCHEMA_VERSION, summarizeConfig } from "./protocol.js";

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CniError, `a CniError, got ${String(e)}`);
    return e.code;
  }
  assert.fail("no error");
}

describe("parseWireRequest", () => {
  it("accepts a version-1 request", () => {
    const body = JSON.stringify({ v: 1, env: { CNI_COMMAND: "ADD", CNI_IFNAME: "eth0" }, stdin: '{"a":1}' });
    assert.deepEqual(parseWireRequest(body), {
      v: SCHEMA_VERSION,
      env: { CNI_COMMAND: "ADD", CNI_IFNAME: "eth0" },
      stdin: '{"a":1}',
    });
  });

  it("a missing stdin is empty (VERSION sends none)", () => {
    assert.equal(parseWireRequest('{"v":1,"env":{}}').stdin, "");
  });

  for (const v of [0, 2, "1", null]) {
    it(`schema version ${JSON.stringify(v)} → code 1 naming both versions`, () => {
      const body = JSON.stringify({ v, env: {}, stdin: "" });
      assert.equal(
        codeOf(() => parseWireRequest(body)),
        1,
      );
      assert.throws(() => parseWireRequest(body), /daemon speaks 1/);
    });
  }

  it("no version at all → code 1", () => {
    assert.equal(
      codeOf(() => parseWireRequest('{"env":{},"stdin":""}')),
      1,
    );
  });

  const malformed: [string, string][] = [
    ["not JSON", "{v:1"],
    ["an array", "[1]"],
    ["a string", '"x"'],
    ["env not an object", '{"v":1,"env":[],"stdin":""}'],
    ["env value not a string", '{"v":1,"env":{"CNI_COMMAND":1},"stdin":""}'],
    ["stdin not a string", '{"v":1,"env":{},"stdin":{}}'],
  ];
  for (const [what, body] of malformed) {
    it(`${what} → code 6`, () => {
      assert.equal(
        codeOf(() => parseWireRequest(body)),
        6,
      );
    });
  }
});

describe("summarizeConfig", () => {
  it("reads cniVersion (when supported) and name", () => {
    assert.deepEqual(summarizeConfig('{"cniVersion":"0.4.0","name":"n"}'), { cniVersion: "0.4.0", name: "n" });
    assert.deepEqual(summarizeConfig('{"cniVersion":"9.9.9","name":"n"}'), { name: "n" });
    assert.deepEqual(summarizeConfig("garbage"), {});
    assert.deepEqual(summarizeConfig("null"), {});
  });
});

describe("errorAnswer", () => {
  it("prints the error JSON in the given version with a newline, exit 1", () => {
    const a = errorAnswer(new CniError(11, "busy", "queue full"), "1.0.0");
    assert.equal(a.exit, 1);
    assert.equal(a.stdout, '{"cniVersion":"1.0.0","code":11,"msg":"busy","details":"queue full"}\n');
    assert.equal(a.stderr, "");
  });
});
