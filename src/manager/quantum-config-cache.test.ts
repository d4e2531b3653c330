import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CniError, parsePluginConfig } from "../cni/index.js";
import { parseQuantumConfig } from "./network-config.js";
import { QuantumConfigCache } from "./quantum-config-cache.js";

const base = { cniVersion: "1.0.0", name: "net1", type: "quantum", subnet: "10.9.0.0/24", gateway: "10.9.0.1" };
const conf = (extra: Record<string, unknown> = {}) => parsePluginConfig({ ...base, ...extra });

describe("QuantumConfigCache", () => {
  it("gives what parseQuantumConfig gives, parsed once per config whatever prevResult, args and runtimeConfig say", () => {
    const cache = new QuantumConfigCache();
    const first = cache.parse(conf());
    assert.deepEqual(first, parseQuantumConfig(conf()));
    const withPrev = cache.parse(
      conf({
        prevResult: { cniVersion: "1.0.0", ips: [] },
        args: { cni: { ips: ["10.9.0.5"] } },
        runtimeConfig: { mac: "02:00:00:00:00:01" },
      }),
    );
    assert.deepEqual(withPrev, first);
    assert.equal(cache.size, 1, "one entry: the per-call keys are not part of the key");
    const other = cache.parse(conf({ subnet: "10.8.0.0/24", gateway: "10.8.0.1" }));
    assert.equal(other.spec.subnets[0]?.subnet, "10.8.0.0/24");
    assert.equal(cache.size, 2);
  });

  it("hands each caller its own copy", () => {
    const cache = new QuantumConfigCache();
    const a = cache.parse(conf());
    a.spec.routes.push({ dst: "192.0.2.0/24" });
    assert.deepEqual(cache.parse(conf()).spec.routes, parseQuantumConfig(conf()).spec.routes);
  });

  it("does not remember a config that fails: it fails every time, with the parser's error", () => {
    const cache = new QuantumConfigCache();
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => cache.parse(conf({ mtu: 12 })),
        (e: unknown) => e instanceof CniError && e.code === 7 && /mtu/.test(e.msg),
      );
    }
    assert.equal(cache.size, 0);
  });

  it("forgets the oldest config past its limit, and refuses a nonsense limit", () => {
    const cache = new QuantumConfigCache(2);
    for (const n of ["a", "b", "c"]) cache.parse(conf({ name: n }));
    assert.equal(cache.size, 2);
    assert.throws(() => new QuantumConfigCache(0), RangeError);
  });
});
