import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CniError,
  CODE_DECODING_FAILURE,
  CODE_INCOMPATIBLE_CNI_VERSION,
  CODE_INTERNAL,
  CODE_INVALID_ENVIRONMENT_VARIABLES,
  CODE_INVALID_NETNS,
  CODE_INVALID_NETWORK_CONFIG,
  CODE_IO_FAILURE,
  CODE_LIMITED_CONNECTIVITY,
  CODE_PLUGIN_NOT_AVAILABLE,
  CODE_TRY_AGAIN_LATER,
  CODE_UNKNOWN_CONTAINER,
  CODE_UNSUPPORTED_FIELD,
  parseCniError,
} from "./errors.js";

describe("CniError", () => {
  test("codes have the spec's values", () => {
    assert.deepEqual(
      [
        CODE_INCOMPATIBLE_CNI_VERSION,
        CODE_UNSUPPORTED_FIELD,
        CODE_UNKNOWN_CONTAINER,
        CODE_INVALID_ENVIRONMENT_VARIABLES,
        CODE_IO_FAILURE,
        CODE_DECODING_FAILURE,
        CODE_INVALID_NETWORK_CONFIG,
        CODE_INVALID_NETNS,
        CODE_TRY_AGAIN_LATER,
        CODE_PLUGIN_NOT_AVAILABLE,
        CODE_LIMITED_CONNECTIVITY,
        CODE_INTERNAL,
      ],
      [1, 2, 3, 4, 5, 6, 7, 8, 11, 50, 51, 999],
    );
  });

  test("toJSON gives {cniVersion, code, msg, details}", () => {
    const e = new CniError(7, "Invalid Configuration", "Network 192.168.0.0/31 too small to allocate from.");
    assert.deepEqual(e.toJSON("1.1.0"), {
      cniVersion: "1.1.0",
      code: 7,
      msg: "Invalid Configuration",
      details: "Network 192.168.0.0/31 too small to allocate from.",
    });
    assert.equal(e.message, "Invalid Configuration; Network 192.168.0.0/31 too small to allocate from.");
  });

  test("details are omitted when absent or empty; JSON.stringify defaults the version", () => {
    assert.equal(JSON.stringify(new CniError(4, "x", "")), '{"cniVersion":"1.1.0","code":4,"msg":"x"}');
    assert.deepEqual(new CniError(50, "down").toJSON("0.4.0"), { cniVersion: "0.4.0", code: 50, msg: "down" });
  });

  test("wrap passes a CniError through and turns anything else into 999", () => {
    const cni = new CniError(3, "gone");
    assert.equal(CniError.wrap(cni), cni);
    const wrapped = CniError.wrap(new TypeError("boom"));
    assert.equal(wrapped.code, CODE_INTERNAL);
    assert.equal(wrapped.msg, "boom");
    assert.ok(wrapped.cause instanceof TypeError);
    assert.equal(CniError.wrap("text").msg, "text");
  });
});

describe("parseCniError", () => {
  test("reads skel's error JSON, which lacks cniVersion", () => {
    const e = parseCniError('{"code":7,"msg":"missing network name"}');
    assert.equal(e.code, 7);
    assert.equal(e.msg, "missing network name");
    assert.equal(e.details, undefined);
  });

  test("reads a full error result", () => {
    const e = parseCniError({ cniVersion: "1.1.0", code: 50, msg: "pool exhausted", details: "10.0.0.0/30" });
    assert.deepEqual(e.toJSON("1.1.0"), {
      cniVersion: "1.1.0",
      code: 50,
      msg: "pool exhausted",
      details: "10.0.0.0/30",
    });
  });

  test("rejects what is not an error result", () => {
    assert.throws(
      () => parseCniError("{"),
      (e: unknown) => e instanceof CniError && e.code === 6,
    );
    assert.throws(() => parseCniError('{"msg":"x"}'), /numeric "code"/);
  });
});
