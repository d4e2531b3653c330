// Neighbour (ARP/NDP) and FDB entries against `ip -j neigh` and `bridge -j fdb`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelError } from "../../src/kernel/index.js";
import { ipJson, nsExec } from "../helpers/netns.js";
import type { BridgeFdb, IpNeigh } from "./ip-json.js";
import { linkName, needsRoot, wire, withPair } from "./pair.js";

function fdb(ns: string, dev: string): BridgeFdb[] {
  return JSON.parse(nsExec(ns, "bridge", ["-j", "fdb", "show", "dev", dev]) || "[]") as BridgeFdb[];
}

describe("neighbours", { skip: needsRoot }, () => {
  it("add, list and delete IPv4 and IPv6 neighbours", () =>
    withPair((p) => {
      const { eth0 } = wire(p);
      const r = p.ctrRtnl;
      r.addAddress(eth0, "10.9.0.2/24");
      r.addNeighbour({ index: eth0, ip: "10.9.0.9", mac: "02:00:00:00:00:09", permanent: true });
      r.addNeighbour({ index: eth0, ip: "fd00:9::9", mac: "02:00:00:00:00:99" });
      const theirs = ipJson<IpNeigh[]>(p.ctr.name, ["neigh", "show", "dev", "eth0"]);
      const v4 = theirs.find((n) => n.dst === "10.9.0.9");
      assert.equal(v4?.lladdr, "02:00:00:00:00:09");
      assert.deepEqual(v4?.state, ["PERMANENT"]);
      const v6 = theirs.find((n) => n.dst === "fd00:9::9");
      assert.equal(v6?.lladdr, "02:00:00:00:00:99");
      assert.ok(v6?.state.includes("REACHABLE") || v6?.state.includes("STALE"));

      const ours = r.listNeighbours(eth0);
      const o4 = ours.find((n) => n.ip === "10.9.0.9");
      assert.deepEqual(o4 && { ...o4, state: 0 }, {
        index: eth0,
        ip: "10.9.0.9",
        family: 4,
        mac: "02:00:00:00:00:09",
        state: 0,
        permanent: true,
      });
      assert.equal(ours.find((n) => n.ip === "fd00:9::9")?.family, 6);

      assert.throws(
        () => r.addNeighbour({ index: eth0, ip: "10.9.0.9", mac: "02:00:00:00:00:0a" }),
        (e: unknown) => e instanceof KernelError && e.code === "EEXIST",
      );
      r.addNeighbour({ index: eth0, ip: "10.9.0.9", mac: "02:00:00:00:00:0a", permanent: true, replace: true });
      assert.equal(r.listNeighbours(eth0).find((n) => n.ip === "10.9.0.9")?.mac, "02:00:00:00:00:0a");

      r.deleteNeighbour({ index: eth0, ip: "10.9.0.9" });
      r.deleteNeighbour({ index: eth0, ip: "fd00:9::9" });
      const left = ipJson<IpNeigh[]>(p.ctr.name, ["neigh", "show", "dev", "eth0"]).filter(
        (n) => n.dst === "10.9.0.9" || (n.dst === "fd00:9::9" && !n.state.includes("FAILED")),
      );
      assert.deepEqual(left, []);
    }));

  it("FDB entries: on a bridge port (master) and on a vxlan device (self, with a remote)", () =>
    withPair(({ host, hostRtnl }) => {
      const br = hostRtnl.addBridge({ name: linkName(), up: true });
      const port = hostRtnl.addVeth({ name: linkName(), peerName: linkName(), master: br.index, up: true });
      const vx = hostRtnl.addVxlan({ name: linkName(), vni: 7, local: "10.9.0.1", port: 4789, learning: false });

      hostRtnl.addFdb({ index: port.index, mac: "02:00:00:00:dd:01", master: true });
      hostRtnl.addFdb({ index: vx.index, mac: "02:00:00:00:dd:02", dst: "10.9.0.7" });
      hostRtnl.addFdb({ index: vx.index, mac: "00:00:00:00:00:00", dst: "10.9.0.8" });

      const onPort = fdb(host.name, port.name).find((e) => e.mac === "02:00:00:00:dd:01");
      assert.equal(onPort?.master, br.name);
      assert.equal(onPort?.state, "permanent");
      const onVx = fdb(host.name, vx.name);
      assert.equal(onVx.find((e) => e.mac === "02:00:00:00:dd:02")?.dst, "10.9.0.7");
      assert.ok(onVx.find((e) => e.mac === "00:00:00:00:00:00" && e.dst === "10.9.0.8")?.flags.includes("self"));

      const ours = hostRtnl.listFdb(vx.index);
      const entry = ours.find((e) => e.mac === "02:00:00:00:dd:02");
      assert.equal(entry?.dst, "10.9.0.7");
      assert.equal(entry?.self, true);
      assert.equal(entry?.permanent, true);
      const portEntry = hostRtnl.listFdb(port.index).find((e) => e.mac === "02:00:00:00:dd:01");
      assert.equal(portEntry?.master, br.index);
      assert.equal(portEntry?.self, false);

      assert.throws(
        () => hostRtnl.addFdb({ index: vx.index, mac: "02:00:00:00:dd:02", dst: "10.9.0.7" }),
        (e: unknown) =>
          e instanceof KernelError && e.code === "EEXIST" && e.message.startsWith("fdb 02:00:00:00:dd:02"),
      );
      hostRtnl.addFdb({ index: vx.index, mac: "02:00:00:00:dd:02", dst: "10.9.0.9", replace: true });
      assert.equal(fdb(host.name, vx.name).find((e) => e.mac === "02:00:00:00:dd:02")?.dst, "10.9.0.9");

      hostRtnl.deleteFdb({ index: port.index, mac: "02:00:00:00:dd:01", master: true });
      hostRtnl.deleteFdb({ index: vx.index, mac: "02:00:00:00:dd:02" });
      assert.equal(
        fdb(host.name, port.name).find((e) => e.mac === "02:00:00:00:dd:01"),
        undefined,
      );
      assert.equal(
        fdb(host.name, vx.name).find((e) => e.mac === "02:00:00:00:dd:02"),
        undefined,
      );
    }));
});
