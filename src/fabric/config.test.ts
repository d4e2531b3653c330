import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FabricConfigError, makeFabricConfig, sameFabricConfig, validateFabricConfig } from "./config.js";

describe("fabric config", () => {
  it("fills the defaults", () => {
    assert.deepEqual(makeFabricConfig({ network: "10.254.0.0/16" }), {
      network: "10.254.0.0/16",
      subnetLen: 24,
      backend: { type: "vxlan", vni: 1, port: 4789 },
      ttlSeconds: 60,
      reuseQuarantineSeconds: 600,
    });
  });

  it("refuses bad input with the field named", () => {
    assert.throws(
      () => makeFabricConfig({ network: "10.254.0.0/16", subnetLen: 16 }),
      /subnetLen \(16\) must be longer/,
    );
    assert.throws(() => makeFabricConfig({ network: "10.254.0.1/16" }), /host bits set/);
    assert.throws(() => makeFabricConfig({ network: "fd00::/48" }), /IPv6 pools are not supported yet/);
    assert.throws(() => makeFabricConfig({ network: "10.254.0.0/16", ttlSeconds: 1 }), FabricConfigError);
    assert.throws(() => makeFabricConfig({ network: "10.254.0.0/16", vni: 1 << 24 }), /backend.vni must be an integer/);
    assert.throws(
      () => validateFabricConfig({ network: "10.0.0.0/8", subnetLen: 24, backend: { type: "gre" } }),
      /backend must be/,
    );
  });

  it("compares configs by value", () => {
    const a = makeFabricConfig({ network: "10.254.0.0/16" });
    assert.ok(sameFabricConfig(a, JSON.parse(JSON.stringify(a))));
    assert.ok(!sameFabricConfig(a, makeFabricConfig({ network: "10.254.0.0/16", vni: 2 })));
  });
});
