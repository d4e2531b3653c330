// Links against the `ip -j` oracle, each test in its own private host + container netns pair.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LinkNotFoundError, withNetnsFd } from "../../src/kernel/index.js";
import { ipJson, nsExec } from "../helpers/netns.js";
import type { IpLink } from "./ip-json.js";
import { ifnames, linkName, needsRoot, withPair } from "./pair.js";

function ipLink(ns: string, dev: string, detailed = false): IpLink {
  const [link] = ipJson<IpLink[]>(ns, [...(detailed ? ["-d"] : []), "link", "show", "dev", dev]);
  assert.ok(link, `ip shows ${dev} in ${ns}`);
  return link;
}

describe("links", { skip: needsRoot }, () => {
  it("veth: peer born in the container netns as eth0, host end on a bridge and up", () =>
    withPair(({ host, ctr, hostRtnl, ctrRtnl }) => {
      const br = hostRtnl.addBridge({ name: linkName(), up: true });
      const name = linkName();
      const veth = withNetnsFd(ctr.path, (fd) =>
        hostRtnl.addVeth({ name, peerName: "eth0", peerNetnsFd: fd, master: br.index, up: true, mtu: 1400 }),
      );
      const h = ipLink(host.name, name);
      assert.equal(veth.index, h.ifindex);
      assert.equal(veth.mac, h.address);
      assert.equal(h.master, br.name);
      assert.ok(h.flags.includes("UP"));
      assert.equal(h.mtu, 1400);
      assert.equal(veth.kind, "veth");
      assert.equal(veth.master, br.index);
      assert.equal(veth.up, true);

      const c = ipLink(ctr.name, "eth0");
      assert.equal(c.mtu, 1400);
      assert.equal(c.link_index, veth.index, "the container end's peer is the host end");
      assert.equal(veth.peerIndex, c.ifindex, "the host end's peer is the container end");
      assert.equal(veth.linkNetnsId, h.link_netnsid);
      assert.deepEqual(ifnames(ipJson<IpLink[]>(ctr.name, ["link", "show"])), ["eth0", "lo"]);
      const eth0 = ctrRtnl.getLink("eth0");
      assert.equal(eth0?.kind, "veth");
      assert.equal(eth0?.peerIndex, veth.index);
      assert.equal(eth0?.up, false, "the peer is born down: the container side brings it up");
    }));

  it("veth: mac and peerMac are set in the same request", () =>
    withPair(({ host, ctr, hostRtnl }) => {
      const name = linkName();
      withNetnsFd(ctr.path, (fd) =>
        hostRtnl.addVeth({
          name,
          peerName: "eth0",
          peerNetnsFd: fd,
          up: true,
          mac: "02:00:00:00:aa:01",
          peerMac: "02:00:00:00:aa:02",
        }),
      );
      assert.equal(ipLink(host.name, name).address, "02:00:00:00:aa:01");
      assert.equal(ipLink(ctr.name, "eth0").address, "02:00:00:00:aa:02");
    }));

  it("bridge with ports: setLink master / nomaster, mtu, mac, name, up", () =>
    withPair(({ host, hostRtnl }) => {
      const br = hostRtnl.addBridge({ name: linkName(), mtu: 1450, mac: "02:00:00:00:bb:01" });
      const b = ipLink(host.name, br.name, true);
      assert.equal(b.linkinfo?.info_kind, "bridge");
      assert.equal(b.mtu, 1450);
      assert.equal(b.address, "02:00:00:00:bb:01");
      assert.equal(br.up, false);

      const ports = [linkName(), linkName()].map((name) => hostRtnl.addVeth({ name, peerName: linkName() }));
      for (const p of ports) hostRtnl.setLink(p.index, { master: br.index, up: true });
      for (const p of ports) assert.equal(ipLink(host.name, p.name).master, br.name);
      const [p0, p1] = ports;
      assert.ok(p0 && p1);
      assert.equal(hostRtnl.getLinkByIndex(p0.index)?.master, br.index);

      hostRtnl.setLink(p0.index, { master: 0 });
      assert.equal(ipLink(host.name, p0.name).master, undefined);
      const renamed = linkName();
      hostRtnl.setLink(p1.index, { up: false, mtu: 1300, mac: "02:00:00:00:bb:02", name: renamed });
      const r = ipLink(host.name, renamed);
      assert.equal(r.ifindex, p1.index);
      assert.equal(r.mtu, 1300);
      assert.equal(r.address, "02:00:00:00:bb:02");
      assert.ok(!r.flags.includes("UP"));
      assert.equal(r.master, br.name, "changing other attributes keeps the master");
      assert.equal(hostRtnl.getLink(p1.name), null);

      hostRtnl.setLink(br.index, { up: true, promisc: true });
      const up = ipLink(host.name, br.name);
      assert.ok(up.flags.includes("UP") && up.flags.includes("PROMISC"));
      assert.equal(hostRtnl.getLink(br.name)?.promisc, true);
    }));

  it("bridge port flags: hairpin and isolated (AF_BRIDGE IFLA_PROTINFO)", () =>
    withPair(({ host, hostRtnl }) => {
      const br = hostRtnl.addBridge({ name: linkName() });
      const port = hostRtnl.addVeth({ name: linkName(), peerName: linkName(), master: br.index });
      const before = ipLink(host.name, port.name, true).linkinfo?.info_slave_data;
      assert.equal(before?.["hairpin"], false);
      assert.equal(before?.["isolated"], false);

      hostRtnl.setBridgePort(port.index, { hairpin: true, isolated: true });
      const on = ipLink(host.name, port.name, true).linkinfo;
      assert.equal(on?.info_slave_kind, "bridge");
      assert.equal(on?.info_slave_data?.["hairpin"], true);
      assert.equal(on?.info_slave_data?.["isolated"], true);
      assert.deepEqual(hostRtnl.getLinkByIndex(port.index)?.bridgePort, {
        hairpin: true,
        isolated: true,
        learning: true,
      });

      hostRtnl.setBridgePort(port.index, { isolated: false, learning: false });
      const off = ipLink(host.name, port.name, true).linkinfo?.info_slave_data;
      assert.equal(off?.["hairpin"], true, "flags not given are left alone");
      assert.equal(off?.["isolated"], false);
      assert.equal(off?.["learning"], false);
    }));

  it("vxlan: vni, local, remote, underlay device, port, learning", () =>
    withPair(({ host, hostRtnl }) => {
      const under = hostRtnl.addVeth({ name: linkName(), peerName: linkName() });
      const vx = hostRtnl.addVxlan({
        name: linkName(),
        vni: 4242,
        local: "10.9.0.1",
        group: "10.9.0.5",
        dev: under.index,
        port: 4789,
        learning: false,
        mtu: 1450,
        up: true,
      });
      assert.equal(vx.kind, "vxlan");
      const l = ipLink(host.name, vx.name, true);
      assert.equal(l.ifindex, vx.index);
      assert.equal(l.mtu, 1450);
      assert.ok(l.flags.includes("UP"));
      const d = l.linkinfo?.info_data;
      assert.equal(l.linkinfo?.info_kind, "vxlan");
      assert.equal(d?.["id"], 4242);
      assert.equal(d?.["local"], "10.9.0.1");
      assert.equal(d?.["remote"], "10.9.0.5");
      assert.equal(d?.["link"], under.name);
      assert.equal(d?.["port"], 4789);
      assert.equal(d?.["learning"], false);
    }));

  it("macvlan on a veth parent: born in the container netns, and beside its parent", () =>
    withPair(({ host, ctr, hostRtnl }) => {
      const parent = hostRtnl.addVeth({ name: linkName(), peerName: linkName(), up: true });
      withNetnsFd(ctr.path, (fd) =>
        hostRtnl.addMacvlan({ name: "eth1", parentIndex: parent.index, mode: "bridge", netnsFd: fd, mtu: 1400 }),
      );
      const c = ipLink(ctr.name, "eth1", true);
      assert.equal(c.linkinfo?.info_kind, "macvlan");
      assert.equal(c.linkinfo?.info_data?.["mode"], "bridge");
      assert.equal(c.mtu, 1400);
      assert.equal(hostRtnl.getLink("eth1"), null, "nothing named eth1 on the host side");

      const local = linkName();
      hostRtnl.addMacvlan({ name: local, parentIndex: parent.index, mode: "private", mac: "02:00:00:00:cc:01" });
      const h = ipLink(host.name, local, true);
      assert.equal(h.linkinfo?.info_data?.["mode"], "private");
      assert.equal(h.address, "02:00:00:00:cc:01");
      assert.equal(hostRtnl.getLink(local)?.linkIndex, parent.index);
    }));

  it("deleteLink by name and by index; a missing link is LinkNotFoundError", () =>
    withPair(({ host, ctr, hostRtnl }) => {
      const a = linkName();
      withNetnsFd(ctr.path, (fd) => hostRtnl.addVeth({ name: a, peerName: "eth0", peerNetnsFd: fd }));
      hostRtnl.deleteLink(a);
      assert.deepEqual(ifnames(ipJson<IpLink[]>(host.name, ["link", "show"])), ["lo"]);
      assert.deepEqual(ifnames(ipJson<IpLink[]>(ctr.name, ["link", "show"])), ["lo"], "the peer died with it");
      assert.throws(() => hostRtnl.deleteLink(a), LinkNotFoundError);

      const br = hostRtnl.addBridge({ name: linkName() });
      hostRtnl.deleteLink(br.index);
      assert.equal(hostRtnl.getLinkByIndex(br.index), null);
      assert.throws(
        () => hostRtnl.deleteLink(br.index),
        (e: unknown) => e instanceof LinkNotFoundError && e.code === "ENODEV" && e.message.includes(String(br.index)),
      );
    }));

  it("listLinks reads a dump that spans many datagrams", () =>
    withPair(({ host, hostRtnl }) => {
      // 100 veth pairs = 200 links (~1.5 KB each): several 32 KiB dump datagrams.
      const script = Array.from({ length: 100 }, (_, i) => `link add qk-a${i} type veth peer name qk-b${i}`).join("\n");
      nsExec(host.name, "ip", ["-batch", "-"], script);
      const ours = hostRtnl.listLinks().map((l) => l.name);
      const theirs = ipJson<IpLink[]>(host.name, ["link", "show"]).map((l) => l.ifname);
      assert.equal(ours.length, 201);
      assert.deepEqual([...ours].sort(), [...theirs].sort());
    }));
});
