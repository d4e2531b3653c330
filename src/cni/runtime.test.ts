import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfList } from "./conflist.js";
import { CniError } from "./errors.js";
import { parseResult, type Result } from "./result.js";
import { buildPluginStdin, buildPluginStdins, injectRuntimeConfig } from "./runtime.js";
import { SUPPORTED_VERSIONS } from "./version.js";

const P = { hostPort: 9000, containerPort: 90, protocol: "udp" };
const CAP_ARGS = { portMappings: [P], mac: "c2:11:22:33:44:55", bandwidth: { ingressRate: 1000 } };

const PREV: Result = {
  cniVersion: "1.1.0",
  interfaces: [{ name: "eth0", sandbox: "/run/netns/c7" }],
  ips: [{ address: "10.88.0.9/16", gateway: "10.88.0.1", interface: 0 }],
};

function list(cniVersion: string, plugins: Record<string, unknown>[] = [{ type: "quantum" }]) {
  return parseConfList({ cniVersion, name: "appnet", plugins });
}

describe("injectRuntimeConfig (vector 15)", () => {
  test("capabilities ∩ supplied args, only those set to true", () => {
    const plugin = { type: "portmap", capabilities: { portMappings: true, mac: false } };
    assert.deepEqual(injectRuntimeConfig(plugin, CAP_ARGS), { ...plugin, runtimeConfig: { portMappings: [P] } });
  });

  test("no match → no runtimeConfig key", () => {
    const plugin = { type: "portmap", capabilities: { ips: true } };
    assert.deepEqual(injectRuntimeConfig(plugin, CAP_ARGS), plugin);
    assert.equal("runtimeConfig" in injectRuntimeConfig({ type: "x" }, CAP_ARGS), false);
  });

  test("the injected args are copies", () => {
    const out = injectRuntimeConfig({ type: "x", capabilities: { portMappings: true } }, CAP_ARGS);
    const rc = out["runtimeConfig"] as { portMappings: unknown[] };
    rc.portMappings.push("x");
    assert.equal(CAP_ARGS.portMappings.length, 1);
  });
});

describe("buildPluginStdin", () => {
  test("vector 16: every plugin gets the negotiated version and the list name", () => {
    const l = parseConfList({
      cniVersion: "0.3.1",
      cniVersions: ["0.4.0", "1.0.0", "1.1.0", "2.0.0"],
      name: "appnet",
      plugins: [
        { type: "quantum", cniVersion: "0.3.1", name: "other" },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
    const stdins = buildPluginStdins(l, { command: "ADD", capabilityArgs: CAP_ARGS });
    assert.equal(stdins.length, 2);
    for (const s of stdins) {
      assert.equal(s["cniVersion"], "1.1.0");
      assert.equal(s["name"], "appnet");
    }
    assert.deepEqual(stdins[1], {
      type: "portmap",
      capabilities: { portMappings: true },
      cniVersion: "1.1.0",
      name: "appnet",
      runtimeConfig: { portMappings: [P] },
    });
  });

  for (const v of SUPPORTED_VERSIONS) {
    test(`[${v}] ADD: prevResult is converted to the list version`, () => {
      const s = buildPluginStdin(list(v), { type: "portmap" }, { command: "ADD", prevResult: PREV });
      const prev = s["prevResult"] as Record<string, unknown>;
      assert.equal(prev["cniVersion"], v);
      // What the plugin reads back is the same result.
      assert.deepEqual(parseResult(prev, v).cniVersion, v);
    });

    test(`[${v}] DEL: prevResult only from 0.4.0 on (libcni)`, () => {
      const s = buildPluginStdin(list(v), { type: "quantum" }, { command: "DEL", prevResult: PREV });
      assert.equal("prevResult" in s, v >= "0.4.0");
    });

    test(`[${v}] CHECK ${v >= "0.4.0" ? "carries prevResult" : "is refused with code 1"}`, () => {
      const run = () => buildPluginStdin(list(v), { type: "quantum" }, { command: "CHECK", prevResult: PREV });
      if (v >= "0.4.0") assert.equal((run()["prevResult"] as Record<string, unknown>)["cniVersion"], v);
      else assert.throws(run, (e: unknown) => e instanceof CniError && e.code === 1);
    });

    test(`[${v}] GC and STATUS ${v === "1.1.0" ? "are built" : "are refused with code 1"}`, () => {
      for (const command of ["GC", "STATUS"] as const) {
        const run = () => buildPluginStdin(list(v), { type: "quantum" }, { command });
        if (v === "1.1.0") assert.doesNotThrow(run);
        else assert.throws(run, (e: unknown) => e instanceof CniError && e.code === 1);
      }
    });
  }

  test("GC: both attachment keys, no runtimeConfig nor prevResult", () => {
    const valid = [{ containerID: "ctr2", ifname: "eth0" }];
    const s = buildPluginStdin(
      list("1.1.0", [{ type: "quantum", capabilities: { mac: true } }]),
      { type: "quantum", capabilities: { mac: true } },
      { command: "GC", validAttachments: valid, capabilityArgs: CAP_ARGS, prevResult: PREV },
    );
    assert.deepEqual(s, {
      type: "quantum",
      capabilities: { mac: true },
      cniVersion: "1.1.0",
      name: "appnet",
      "cni.dev/valid-attachments": valid,
      "cni.dev/attachments": valid,
    });
  });

  test("STATUS: only name and version injected", () => {
    const s = buildPluginStdin(list("1.1.0"), { type: "quantum", x: 1 }, { command: "STATUS", prevResult: PREV });
    assert.deepEqual(s, { type: "quantum", x: 1, cniVersion: "1.1.0", name: "appnet" });
  });

  test("the plugin object is not mutated", () => {
    const plugin = { type: "quantum", capabilities: { mac: true } };
    const before = structuredClone(plugin);
    buildPluginStdin(list("1.0.0"), plugin, { command: "ADD", capabilityArgs: CAP_ARGS, prevResult: PREV });
    assert.deepEqual(plugin, before);
  });
});
