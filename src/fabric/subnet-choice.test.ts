import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeFabricConfig } from "./config.js";
import type { Listing } from "./fabric-store.js";
import { chooseSubnet } from "./subnet-choice.js";
import type { SubnetRecord } from "./types.js";

const config = makeFabricConfig({ network: "10.254.0.0/22" });
const rec = (node: string): SubnetRecord => ({
  node,
  nodeUid: node,
  publicIP: "10.0.0.1",
  vtepMac: "0e:51:0a:00:00:01",
  vni: 1,
  mtu: 1450,
  claimedAt: "",
});

function listing(taken: Record<string, string>, released: Record<string, string> = {}): Listing {
  return {
    revision: "1",
    config,
    subnets: new Map(Object.entries(taken).map(([s, n]) => [s, { value: rec(n), modRevision: "1", lease: "7" }])),
    nodes: new Map(),
    released: new Map(
      Object.entries(released).map(([s, n]) => [s, { value: { node: n, at: "" }, modRevision: "5", lease: "9" }]),
    ),
    malformed: [],
  };
}

describe("chooseSubnet", () => {
  it("prefers the previous subnet when free", () => {
    assert.deepEqual(chooseSubnet(config, listing({}), "a", "10.254.2.0/24"), { subnet: "10.254.2.0/24" });
  });

  it("takes the previous subnet out of its own quarantine (with the CAS revision)", () => {
    assert.deepEqual(chooseSubnet(config, listing({}, { "10.254.2.0/24": "a" }), "a", "10.254.2.0/24"), {
      subnet: "10.254.2.0/24",
      releasedModRevision: "5",
    });
  });

  it("never picks a taken or quarantined subnet", () => {
    for (let k = 0; k < 50; k++) {
      const c = chooseSubnet(config, listing({ "10.254.1.0/24": "x" }, { "10.254.2.0/24": "y" }), "a", "10.254.2.0/24");
      assert.deepEqual(c, { subnet: "10.254.3.0/24" });
    }
  });

  it("null when the pool is exhausted", () => {
    assert.equal(
      chooseSubnet(config, listing({ "10.254.1.0/24": "x", "10.254.2.0/24": "y" }, { "10.254.3.0/24": "z" }), "a"),
      null,
    );
  });
});
