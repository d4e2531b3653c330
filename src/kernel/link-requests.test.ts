// Link requests and RTM_NEWLINK decoding, through a fake channel (no root, no addon).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AF, IFF, IFLA, IFLA_BRPORT, IFLA_INFO, NLM_F, RTM } from "./constants.js";
import { setBridgePort, setLink } from "./link.js";
import { addVeth, addVxlan } from "./link-create.js";
import { decodeLink } from "./link-decode.js";
import { attrNested, attrStr, attrU8, attrU16be, attrU32, parseAttrs } from "./netlink-message.js";
import { decodeIfInfo } from "./rtnl-headers.js";
import { FakeChannel, linkReply } from "./testing/fake-channel.js";

describe("link requests", () => {
  it("addVeth: one NEWLINK with master, up and the peer born in the netns under its name", () => {
    const ch = new FakeChannel((req) => (req.type === RTM.GETLINK ? [linkReply(5, "qkveth0")] : []));
    const link = addVeth(ch, { name: "qkveth0", peerName: "eth0", peerNetnsFd: 11, master: 3, up: true, mtu: 1400 });
    assert.equal(link.index, 5);
    const first = ch.sent[0];
    assert.ok(first);
    const { msg } = first;
    assert.equal(msg.type, RTM.NEWLINK);
    assert.equal(msg.flags, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL | NLM_F.ECHO);
    const h = decodeIfInfo(msg.body);
    assert.equal(h.flags & IFF.UP, IFF.UP);
    assert.equal(h.change & IFF.UP, IFF.UP);
    const a = parseAttrs(msg.body, 16);
    assert.equal(attrStr(a, IFLA.IFNAME), "qkveth0");
    assert.equal(attrU32(a, IFLA.MASTER), 3);
    assert.equal(attrU32(a, IFLA.MTU), 1400);
    assert.equal(a.has(IFLA.NET_NS_FD), false, "the host end stays here");
    const info = attrNested(a, IFLA.LINKINFO);
    assert.ok(info);
    assert.equal(attrStr(info, IFLA_INFO.KIND), "veth");
    const peer = attrNested(info, IFLA_INFO.DATA)?.get(1);
    assert.ok(peer);
    const pa = parseAttrs(peer, 16);
    assert.equal(attrStr(pa, IFLA.IFNAME), "eth0");
    assert.equal(attrU32(pa, IFLA.NET_NS_FD), 11);
    assert.equal(attrU32(pa, IFLA.MTU), 1400);
    // A kernel that does not echo (this fake): the host end is read back by name.
    assert.equal(ch.sent[1]?.msg.type, RTM.GETLINK);
    assert.equal(ch.sent[1]?.object, "link qkveth0");
  });

  it("addVeth: a kernel that echoes the new link saves the read back; master is the one requested", () => {
    const ch = new FakeChannel((req) => (req.type === RTM.NEWLINK ? [linkReply(5, "qkveth0")] : []));
    const link = addVeth(ch, { name: "qkveth0", peerName: "eth0", peerNetnsFd: 11, master: 3, up: true });
    assert.equal(ch.sent.length, 1, "one request: no GETLINK");
    assert.equal(link.index, 5);
    assert.equal(link.name, "qkveth0");
    assert.equal(link.master, 3);
  });

  it("rejects invalid interface names before sending anything", () => {
    const ch = new FakeChannel();
    assert.throws(() => addVeth(ch, { name: "a-name-that-is-too-long", peerName: "eth0" }), RangeError);
    assert.throws(() => addVeth(ch, { name: "ok", peerName: "bad/name" }), RangeError);
    assert.equal(ch.sent.length, 0);
  });

  it("setLink only changes the flags it is given", () => {
    const ch = new FakeChannel();
    setLink(ch, 4, { up: false, master: 0, name: "qk-new" });
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    const h = decodeIfInfo(msg.body);
    assert.equal(h.index, 4);
    assert.equal(h.flags, 0);
    assert.equal(h.change, IFF.UP);
    const a = parseAttrs(msg.body, 16);
    assert.equal(attrU32(a, IFLA.MASTER), 0);
    assert.equal(attrStr(a, IFLA.IFNAME), "qk-new");
  });

  it("setBridgePort sends IFLA_PROTINFO with AF_BRIDGE", () => {
    const ch = new FakeChannel();
    setBridgePort(ch, 9, { hairpin: true, isolated: false });
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    assert.equal(msg.type, RTM.SETLINK);
    const h = decodeIfInfo(msg.body);
    assert.equal(h.family, AF.BRIDGE);
    assert.equal(h.index, 9);
    const p = attrNested(parseAttrs(msg.body, 16), IFLA.PROTINFO);
    assert.ok(p);
    assert.equal(attrU8(p, IFLA_BRPORT.MODE), 1);
    assert.equal(attrU8(p, IFLA_BRPORT.ISOLATED), 0);
    assert.equal(p.has(IFLA_BRPORT.LEARNING), false);
  });

  it("addVxlan encodes vni, addresses and the port in network order", () => {
    const ch = new FakeChannel((req) => (req.type === RTM.GETLINK ? [linkReply(6, "qk-vx")] : []));
    addVxlan(ch, { name: "qk-vx", vni: 42, local: "10.0.0.1", group: "10.0.0.2", port: 4789, learning: false });
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    const data = attrNested(attrNested(parseAttrs(msg.body, 16), IFLA.LINKINFO) ?? new Map(), IFLA_INFO.DATA);
    assert.ok(data);
    assert.equal(attrU32(data, 1), 42);
    assert.deepEqual(data.get(2), Buffer.from([10, 0, 0, 2]));
    assert.deepEqual(data.get(4), Buffer.from([10, 0, 0, 1]));
    assert.equal(attrU16be(data, 15), 4789);
    assert.equal(attrU8(data, 7), 0);
    assert.throws(() => addVxlan(ch, { name: "qk-vx", vni: 1 << 24 }), RangeError);
  });

  it("decodeLink reads names, flags, master, peer and bridge port state", () => {
    const msg = linkReply(7, "qk-p", (b) => {
      b.u32(IFLA.MTU, 1450)
        .attr(IFLA.ADDRESS, Buffer.from([2, 0, 0, 0, 0, 1]))
        .u8(IFLA.OPERSTATE, 6)
        .u32(IFLA.MASTER, 3)
        .u32(IFLA.LINK, 2)
        .s32(IFLA.LINK_NETNSID, 0)
        .nest(IFLA.LINKINFO, (li) => {
          li.str(IFLA_INFO.KIND, "veth");
          li.str(IFLA_INFO.SLAVE_KIND, "bridge");
          li.nest(IFLA_INFO.SLAVE_DATA, (d) =>
            d.u8(IFLA_BRPORT.MODE, 1).u8(IFLA_BRPORT.ISOLATED, 1).u8(IFLA_BRPORT.LEARNING, 0),
          );
        });
    });
    assert.deepEqual(decodeLink(msg), {
      index: 7,
      name: "qk-p",
      mtu: 1450,
      mac: "02:00:00:00:00:01",
      up: true,
      promisc: false,
      operState: "UP",
      flags: IFF.UP,
      kind: "veth",
      master: 3,
      linkIndex: 2,
      peerIndex: 2,
      linkNetnsId: 0,
      bridgePort: { hairpin: true, isolated: true, learning: false },
    });
  });
});
