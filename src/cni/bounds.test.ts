// Issue 10, finding 5: sizes and control characters in CNI_* and the network name are refused
// with code 4 (env) or 7 (config), and no message quotes more than ~200 characters of a bad value.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeConfigJson } from "./config.js";
import { cniDispatch, type PluginHandlers } from "./dispatch.js";
import { parseCniEnv } from "./env.js";
import { CniError } from "./errors.js";

const BASE = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "ctr1",
  CNI_NETNS: "/run/netns/ctr1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

function refused(fn: () => unknown, code: number, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CniError, `not a CniError: ${String(e)}`);
    assert.equal(e.code, code, e.msg);
    assert.match(e.msg, msg);
    assert.ok(e.msg.length < 400, `message of ${e.msg.length} characters`);
    return true;
  });
}

describe("CNI_* bounds", () => {
  test("a container id of 255 bytes is accepted, 256 refused (not truncated)", () => {
    assert.equal(parseCniEnv({ ...BASE, CNI_CONTAINERID: "a".repeat(255) }).containerId?.length, 255);
    refused(() => parseCniEnv({ ...BASE, CNI_CONTAINERID: "a".repeat(256) }), 4, /CNI_CONTAINERID.*at most 255/);
  });
  test("a 10 MB container id gets a short message", () => {
    refused(() => parseCniEnv({ ...BASE, CNI_CONTAINERID: "b".repeat(10_000_000) }), 4, /CNI_CONTAINERID/);
  });
  for (const name of ["CNI_IFNAME", "CNI_NETNS", "CNI_CONTAINERID", "CNI_PATH", "CNI_ARGS"]) {
    for (const bad of ["\u0000", "\n", "\u001b", "\u007f"]) {
      test(`${JSON.stringify(bad)} in ${name} is code 4`, () => {
        const value = name === "CNI_ARGS" ? `IP=1${bad}` : `x${bad}y`;
        const good = name === "CNI_NETNS" ? `/run/netns/x${bad}` : value;
        refused(() => parseCniEnv({ ...BASE, [name]: good }), 4, new RegExp(name));
      });
    }
  }
  test("CNI_NETNS must be an absolute path of at most 4095 bytes", () => {
    refused(() => parseCniEnv({ ...BASE, CNI_NETNS: "run/netns/x" }), 4, /CNI_NETNS.*absolute/);
    refused(() => parseCniEnv({ ...BASE, CNI_NETNS: `/${"n".repeat(5000)}` }), 4, /CNI_NETNS.*4095/);
  });
  test("CNI_ARGS and CNI_PATH are bounded", () => {
    refused(() => parseCniEnv({ ...BASE, CNI_ARGS: `IgnoreUnknown=1;A=${"v".repeat(70_000)}` }), 4, /CNI_ARGS/);
    refused(() => parseCniEnv({ ...BASE, CNI_PATH: `/${"p".repeat(70_000)}` }), 4, /CNI_PATH/);
  });
});

describe("network name bounds", () => {
  test("128 bytes accepted, 129 refused with code 7", () => {
    assert.equal(decodeConfigJson({ name: "n".repeat(128) })["name"], "n".repeat(128));
    refused(() => decodeConfigJson({ name: "n".repeat(129) }), 7, /"name".*at most 128/);
  });
  test("a 10 MB name is refused with a short message", () => {
    refused(() => decodeConfigJson({ name: "n".repeat(10_000_000) }), 7, /"name"/);
  });
});

describe("stdin bound", () => {
  const handlers: PluginHandlers = {
    add: async () => ({ cniVersion: "1.1.0" }),
    del: async () => undefined,
    check: async () => undefined,
    gc: async () => undefined,
    status: async () => undefined,
  };
  test("a config over 1 MiB is refused before it is parsed (code 7)", async () => {
    const big = Buffer.from(JSON.stringify({ cniVersion: "1.1.0", name: "n", type: "q", pad: "x".repeat(1 << 20) }));
    const out = await cniDispatch(handlers, { env: BASE, stdin: big, stdout: () => {}, stderr: () => {} });
    assert.equal(out.code, 7, out.error?.msg);
    assert.match(out.error?.msg ?? "", /larger than 1048576 bytes/);
  });
});

describe("what libcni sends outside ADD/DEL/CHECK", () => {
  test("VERSION with libcni's CNI_NETNS=dummy (podman validates configs that way) is fine", () => {
    assert.equal(
      parseCniEnv({ CNI_COMMAND: "VERSION", CNI_NETNS: "dummy", CNI_CONTAINERID: "dummy", CNI_IFNAME: "dummy" })
        .command,
      "VERSION",
    );
  });
  test("GC and STATUS ignore an unused relative CNI_NETNS but not a control character", () => {
    for (const cmd of ["GC", "STATUS"]) {
      assert.equal(parseCniEnv({ CNI_COMMAND: cmd, CNI_PATH: "/opt/cni/bin", CNI_NETNS: "dummy" }).command, cmd);
      refused(() => parseCniEnv({ CNI_COMMAND: cmd, CNI_PATH: "/opt/cni/bin", CNI_NETNS: "d\nx" }), 4, /CNI_NETNS/);
    }
  });
});
