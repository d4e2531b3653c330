// What the fabric's overlay needs from kernel/: a vxlan device (learning off, local address, port,
// underlay dev) and the per-peer trio (permanent neighbour, FDB entry with a remote VTEP, onlink
// route), checked against `ip -j -d` / `bridge -j` inside a private netns.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { ipJson } from "../helpers/netns.js";
import { linkName, needsRoot, type Pair, wire, withPair } from "./pair.js";

interface IpVxlanLink {
  ifname: string;
  mtu: number;
  address: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; port?: number; learning?: boolean; link?: string };
  };
}
interface IpRouteFlags {
  dst: string;
  gateway?: string;
  dev?: string;
  flags?: string[];
}
interface FdbJson {
  mac: string;
  dst?: string;
  ifname?: string;
  state?: string;
  flags?: string[];
}

/** A vxlan over the host end of a veth with 10.88.0.1/24 (the "underlay"), learning off. */
function vxlanOnUnderlay(p: Pair) {
  const { hostIndex, hostName } = wire(p);
  p.hostRtnl.addAddress(hostIndex, "10.88.0.1/24");
  const name = linkName();
  const vx = p.hostRtnl.addVxlan({
    name,
    vni: 7,
    local: "10.88.0.1",
    dev: hostIndex,
    port: 4789,
    learning: false,
    mac: "0e:51:0a:58:00:01",
    up: true,
  });
  return { vx, name, hostName };
}

function bridgeFdb(ns: string, dev: string): FdbJson[] {
  const out = execFileSync("bridge", ["-n", ns, "-j", "fdb", "show", "dev", dev], { encoding: "utf8" }).trim();
  return out === "" ? [] : (JSON.parse(out) as FdbJson[]);
}

describe("overlay kernel objects", { skip: needsRoot }, () => {
  it("vxlan with learning off, local, dev and port; the kernel derives MTU 1450 from the underlay", () =>
    withPair((p) => {
      const { name, hostName } = vxlanOnUnderlay(p);
      const [link] = ipJson<IpVxlanLink[]>(p.host.name, ["-d", "link", "show", "dev", name]);
      assert.equal(link?.linkinfo?.info_kind, "vxlan");
      assert.equal(link?.linkinfo?.info_data?.id, 7);
      assert.equal(link?.linkinfo?.info_data?.local, "10.88.0.1");
      assert.equal(link?.linkinfo?.info_data?.port, 4789);
      assert.equal(link?.linkinfo?.info_data?.learning, false);
      assert.equal(link?.linkinfo?.info_data?.link, hostName);
      assert.equal(link?.mtu, 1450);
      assert.equal(link?.address, "0e:51:0a:58:00:01");
    }));

  it("peer trio: permanent neighbour, FDB to the remote VTEP, onlink route; replace is idempotent; delete removes them", () =>
    withPair((p) => {
      const { vx, name } = vxlanOnUnderlay(p);
      p.hostRtnl.addAddress(vx.index, "10.254.1.0/32");
      const mac = "0e:51:0a:58:00:02";
      for (let round = 0; round < 2; round++) {
        p.hostRtnl.addNeighbour({ index: vx.index, ip: "10.254.2.0", mac, permanent: true, replace: true });
        p.hostRtnl.addFdb({ index: vx.index, mac, dst: "10.88.0.2", self: true, replace: true });
        p.hostRtnl.addRoute({ dst: "10.254.2.0/24", gw: "10.254.2.0", index: vx.index, onlink: true, replace: true });
      }
      const routes = ipJson<IpRouteFlags[]>(p.host.name, ["route", "show", "10.254.2.0/24"]);
      assert.equal(routes.length, 1);
      assert.equal(routes[0]?.gateway, "10.254.2.0");
      assert.equal(routes[0]?.dev, name);
      assert.deepEqual(routes[0]?.flags, ["onlink"]);
      const ours = p.hostRtnl.listRoutes({ family: 4 }).find((r) => r.dst === "10.254.2.0/24");
      assert.equal(ours?.onlink, true);
      const neigh = ipJson<{ dst: string; lladdr?: string; state: string[] }[]>(p.host.name, [
        "neigh",
        "show",
        "dev",
        name,
      ]);
      assert.deepEqual(
        neigh.map((n) => [n.dst, n.lladdr, n.state]),
        [["10.254.2.0", mac, ["PERMANENT"]]],
      );
      const fdb = bridgeFdb(p.host.name, name).filter((e) => e.mac === mac);
      assert.equal(fdb.length, 1);
      assert.equal(fdb[0]?.dst, "10.88.0.2");
      assert.equal(fdb[0]?.state, "permanent");

      p.hostRtnl.deleteRoute({ dst: "10.254.2.0/24", index: vx.index });
      p.hostRtnl.deleteFdb({ index: vx.index, mac, dst: "10.88.0.2", self: true });
      p.hostRtnl.deleteNeighbour({ index: vx.index, ip: "10.254.2.0" });
      assert.deepEqual(ipJson(p.host.name, ["route", "show", "10.254.2.0/24"]), []);
      assert.deepEqual(ipJson(p.host.name, ["neigh", "show", "dev", name]), []);
      assert.equal(bridgeFdb(p.host.name, name).filter((e) => e.mac === mac).length, 0);
    }));

  it("an onlink route without onlink is refused by the kernel (why the flag exists)", () =>
    withPair((p) => {
      const { vx } = vxlanOnUnderlay(p);
      assert.throws(
        () => p.hostRtnl.addRoute({ dst: "10.254.2.0/24", gw: "10.254.2.0", index: vx.index }),
        /route 10\.254\.2\.0\/24 via 10\.254\.2\.0.*Nexthop has invalid gateway/,
      );
    }));
});
