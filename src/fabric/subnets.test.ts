import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeFabricConfig } from "./config.js";
import { FabricKeys, prefixEnd } from "./keys.js";
import {
  poolSubnets,
  subnetAddresses,
  subnetFromKey,
  subnetInPool,
  subnetKey,
  v6SubnetAddresses,
  v6SubnetFor,
} from "./subnets.js";
import { vtepMac } from "./vtep.js";

describe("subnet pool", () => {
  it("lists every subnet but the first", () => {
    assert.deepEqual(poolSubnets(makeFabricConfig({ network: "10.254.0.0/22" })), [
      "10.254.1.0/24",
      "10.254.2.0/24",
      "10.254.3.0/24",
    ]);
    assert.equal(poolSubnets(makeFabricConfig({ network: "10.254.0.0/16" })).length, 255);
    assert.equal(poolSubnets(makeFabricConfig({ network: "10.0.0.0/12", subnetLen: 26 })).at(-1), "10.15.255.192/26");
  });

  it("key form round-trips and refuses junk", () => {
    assert.equal(subnetKey("10.254.3.0/24"), "10.254.3.0-24");
    assert.equal(subnetFromKey("10.254.3.0-24"), "10.254.3.0/24");
    assert.throws(() => subnetFromKey("10.254.3.1-24"), /host bits/);
    assert.throws(() => subnetFromKey("nonsense"), /not an IPv4 CIDR/);
  });

  it("addresses in a node's subnet: VTEP = network address, gateway = .1", () => {
    assert.deepEqual(subnetAddresses("10.254.7.0/24"), { vtep: "10.254.7.0", gateway: "10.254.7.1", prefixLen: 24 });
  });

  it("pool membership", () => {
    const c = makeFabricConfig({ network: "10.254.0.0/16" });
    assert.ok(subnetInPool(c, "10.254.9.0/24"));
    assert.ok(!subnetInPool(c, "10.254.0.0/24"), "index 0 is never handed out");
    assert.ok(!subnetInPool(c, "10.255.9.0/24"));
    assert.ok(!subnetInPool(c, "10.254.9.0/25"));
  });

  it("VTEP MAC: 0e:51 + the IPv4 bytes, locally administered unicast, stable", () => {
    assert.equal(vtepMac("10.253.0.1"), "0e:51:0a:fd:00:01");
    assert.equal(vtepMac("192.168.255.254"), "0e:51:c0:a8:ff:fe");
    assert.throws(() => vtepMac("fd00::1"), /not an IPv4 address/);
  });

  it("keys: layout, parse, prefix range end", () => {
    const k = new FabricKeys("/quantum/v1/");
    assert.equal(k.subnet("10.254.1.0/24"), "/quantum/v1/subnets/10.254.1.0-24");
    assert.deepEqual(k.parse("/quantum/v1/subnets/10.254.1.0-24"), { kind: "subnets", name: "10.254.1.0/24" });
    assert.deepEqual(k.parse("/quantum/v1/nodes/n1"), { kind: "nodes", name: "n1" });
    assert.deepEqual(k.parse("/quantum/v1/config"), { kind: "config" });
    assert.equal(k.parse("/quantum/v1/subnets/bogus"), null);
    assert.equal(k.parse("/other/x"), null);
    assert.throws(() => new FabricKeys("quantum"), /must start and end with/);
    assert.equal(prefixEnd(Buffer.from("/q/")).toString(), "/q0");
  });
});

describe("dual-stack pairing", () => {
  const c = makeFabricConfig({ network: "10.254.0.0/16", v6Network: "fd54::/48" });

  it("the i-th IPv4 subnet gets the i-th IPv6 /64", () => {
    assert.equal(v6SubnetFor(c, "10.254.1.0/24"), "fd54:0:0:1::/64");
    assert.equal(v6SubnetFor(c, "10.254.255.0/24"), "fd54:0:0:ff::/64");
    assert.equal(v6SubnetFor(makeFabricConfig({ network: "10.254.0.0/16" }), "10.254.1.0/24"), undefined);
    assert.deepEqual(v6SubnetAddresses("fd54:0:7::/64"), { vtep: "fd54:0:7::", gateway: "fd54:0:7::1", prefixLen: 64 });
  });

  it("the pool is cut to the subnets that have an IPv6 partner", () => {
    const small = makeFabricConfig({ network: "10.254.0.0/16", v6Network: "fd54::/62", v6SubnetLen: 64 });
    assert.deepEqual(poolSubnets(small), ["10.254.1.0/24", "10.254.2.0/24", "10.254.3.0/24"]);
    assert.throws(() => v6SubnetFor(small, "10.254.9.0/24"), /no IPv6 partner/);
  });

  it("bad IPv6 pools are refused", () => {
    assert.throws(() => makeFabricConfig({ network: "10.254.0.0/16", v6Network: "fd54::1/48" }), /host bits set/);
    assert.throws(() => makeFabricConfig({ network: "10.254.0.0/16", v6Network: "10.0.0.0/8" }), /not an IPv6/);
    assert.throws(
      () => makeFabricConfig({ network: "10.254.0.0/16", v6Network: "fd54::/64", v6SubnetLen: 64 }),
      /v6SubnetLen/,
    );
  });
});
