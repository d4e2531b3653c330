// Interface addresses against the `ip -j addr` oracle.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelError } from "../../src/kernel/index.js";
import { ipJson } from "../helpers/netns.js";
import type { IpAddr } from "./ip-json.js";
import { needsRoot, wire, withPair } from "./pair.js";

function ipAddrs(ns: string, dev: string): string[] {
  const [entry] = ipJson<IpAddr[]>(ns, ["addr", "show", "dev", dev]);
  return (entry?.addr_info ?? [])
    .filter((a) => a.scope !== "link")
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

describe("addresses", { skip: needsRoot }, () => {
  it("add, list and delete IPv4 and IPv6 addresses", () =>
    withPair((p) => {
      const { eth0 } = wire(p);
      const r = p.ctrRtnl;
      r.addAddress(eth0, "10.9.0.2/24");
      r.addAddress(eth0, "10.9.1.2/30");
      r.addAddress(eth0, "fd00:9::2/64", { noDad: true });
      assert.deepEqual(ipAddrs(p.ctr.name, "eth0"), ["10.9.0.2/24", "10.9.1.2/30", "fd00:9::2/64"]);

      const [entry] = ipJson<IpAddr[]>(p.ctr.name, ["addr", "show", "dev", "eth0"]);
      const v4 = entry?.addr_info.find((a) => a.local === "10.9.0.2");
      assert.equal(v4?.broadcast, "10.9.0.255", "IPv4 gets its broadcast address");
      assert.equal(v4?.scope, "global");

      const ours = r.listAddresses({ index: eth0 });
      assert.deepEqual(
        ours
          .filter((a) => a.scope !== "link")
          .map((a) => a.address)
          .sort(),
        ["10.9.0.2/24", "10.9.1.2/30", "fd00:9::2/64"],
      );
      const v6 = ours.find((a) => a.address === "fd00:9::2/64");
      assert.equal(v6?.family, 6);
      assert.equal(v6?.scope, "global");
      assert.equal(v6?.index, eth0);
      assert.deepEqual(
        r.listAddresses({ index: eth0, family: 4 }).map((a) => a.address),
        ["10.9.0.2/24", "10.9.1.2/30"],
      );
      assert.ok(r.listAddresses({ family: 4 }).some((a) => a.address === "127.0.0.1/8" && a.scope === "host"));

      r.deleteAddress(eth0, "10.9.1.2/30");
      r.deleteAddress(eth0, "fd00:9::2/64");
      assert.deepEqual(ipAddrs(p.ctr.name, "eth0"), ["10.9.0.2/24"]);
    }));

  it("a duplicate is EEXIST and a missing address is an error, both naming the address", () =>
    withPair((p) => {
      const { eth0 } = wire(p);
      p.ctrRtnl.addAddress(eth0, "10.9.0.2/24");
      assert.throws(
        () => p.ctrRtnl.addAddress(eth0, "10.9.0.2/24"),
        (e: unknown) =>
          e instanceof KernelError &&
          e.code === "EEXIST" &&
          e.message.startsWith(`address 10.9.0.2/24 on link ${eth0}:`),
      );
      assert.throws(
        () => p.ctrRtnl.deleteAddress(eth0, "10.9.7.7/24"),
        (e: unknown) => e instanceof KernelError && e.code === "EADDRNOTAVAIL" && e.message.includes("10.9.7.7/24"),
      );
      assert.deepEqual(ipAddrs(p.ctr.name, "eth0"), ["10.9.0.2/24"]);
    }));

  it("lists hundreds of addresses (a multi-part dump)", () =>
    withPair((p) => {
      const { eth0 } = wire(p);
      for (let i = 1; i <= 400; i++) p.ctrRtnl.addAddress(eth0, `10.${20 + (i >> 8)}.${i & 255}.1/32`);
      const ours = p.ctrRtnl.listAddresses({ index: eth0, family: 4 }).map((a) => a.address);
      assert.equal(ours.length, 400);
      assert.deepEqual(ours.sort(), ipAddrs(p.ctr.name, "eth0"));
    }));
});
