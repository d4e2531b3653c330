// Encoding of rtnetlink requests and decoding of replies, through a fake channel (no root, no addon).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addAddress, decodeAddress } from "./address.js";
import { AF, IFA, IFF, IFLA, IFLA_BRPORT, IFLA_INFO, NDA, NLM_F, NTF, NUD, RTA, RTAX, RTM } from "./constants.js";
import { KernelError, LinkNotFoundError, toKernelError } from "./errors.js";
import { setBridgePort, setLink } from "./link.js";
import { addVeth, addVxlan } from "./link-create.js";
import { decodeLink } from "./link-decode.js";
import { addFdb, addNeighbour, decodeFdb, decodeNeighbour } from "./neighbour.js";
import {
  attrNested,
  attrStr,
  attrU8,
  attrU16be,
  attrU32,
  decodeMessage,
  MessageBuilder,
  type NetlinkMessage,
  parseAttrs,
} from "./netlink-message.js";
import { addRoute, decodeRoute } from "./route.js";
import {
  decodeIfAddr,
  decodeIfInfo,
  decodeNd,
  decodeRt,
  encodeIfAddr,
  encodeIfInfo,
  encodeNd,
  encodeRt,
} from "./rtnl-headers.js";
import type { RtnlChannel } from "./types.js";
import { createHostVeth, randomVethName } from "./veth.js";

type Handler = (req: NetlinkMessage, op: string, object: string) => NetlinkMessage[];

/** Records every request; answers with handler (default: a plain ACK, i.e. no messages). */
class FakeChannel implements RtnlChannel {
  readonly sent: { msg: NetlinkMessage; op: string; object: string }[] = [];
  constructor(private readonly handler: Handler = () => []) {}
  call(msg: MessageBuilder, op: string, object: string): NetlinkMessage[] {
    const decoded = decodeMessage(msg.finish(this.sent.length + 1));
    this.sent.push({ msg: decoded, op, object });
    return this.handler(decoded, op, object);
  }
}

function linkReply(index: number, name: string, extra: (b: MessageBuilder) => void = () => {}): NetlinkMessage {
  const b = new MessageBuilder(RTM.NEWLINK, 0).header(encodeIfInfo({ index, flags: IFF.UP })).str(IFLA.IFNAME, name);
  extra(b);
  return decodeMessage(b.finish(1));
}

function nativeError(errno: number, code: string, reason: string, kernelMessage?: string): Error {
  return Object.assign(new Error(`netlink: ${reason}`), { errno, code, syscall: "netlink", kernelMessage });
}

describe("link requests", () => {
  it("addVeth: one NEWLINK with master, up and the peer born in the netns under its name", () => {
    const ch = new FakeChannel((req) => (req.type === RTM.GETLINK ? [linkReply(5, "qkveth0")] : []));
    const link = addVeth(ch, { name: "qkveth0", peerName: "eth0", peerNetnsFd: 11, master: 3, up: true, mtu: 1400 });
    assert.equal(link.index, 5);
    const first = ch.sent[0];
    assert.ok(first);
    const { msg } = first;
    assert.equal(msg.type, RTM.NEWLINK);
    assert.equal(msg.flags, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL);
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
    // Then the host end is read back by name.
    assert.equal(ch.sent[1]?.msg.type, RTM.GETLINK);
    assert.equal(ch.sent[1]?.object, "link qkveth0");
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

describe("address, route and neighbour requests", () => {
  it("addAddress sends local, address and the IPv4 broadcast", () => {
    const ch = new FakeChannel();
    addAddress(ch, 3, "10.1.0.5/24");
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    assert.deepEqual(decodeIfAddr(msg.body), { family: AF.INET, prefixLen: 24, flags: 0, scope: 0, index: 3 });
    const a = parseAttrs(msg.body, 8);
    assert.deepEqual(a.get(IFA.LOCAL), Buffer.from([10, 1, 0, 5]));
    assert.deepEqual(a.get(IFA.BROADCAST), Buffer.from([10, 1, 0, 255]));
    addAddress(ch, 3, "fd00::5/64", { noDad: true });
    const v6 = ch.sent[1]?.msg;
    assert.ok(v6);
    assert.equal(decodeIfAddr(v6.body).family, AF.INET6);
    const a6 = parseAttrs(v6.body, 8);
    assert.equal(a6.has(IFA.BROADCAST), false);
    assert.equal(attrU32(a6, IFA.FLAGS), 0x2);
  });

  it("decodeAddress prefers IFA_LOCAL and formats address/prefix", () => {
    const msg = decodeMessage(
      new MessageBuilder(RTM.NEWADDR, 0)
        .header(encodeIfAddr({ family: AF.INET6, prefixLen: 64, scope: 253, index: 2 }))
        .attr(IFA.ADDRESS, Buffer.from("fe800000000000000000000000000001", "hex"))
        .u32(IFA.FLAGS, 0x80)
        .finish(1),
    );
    assert.deepEqual(decodeAddress(msg), { index: 2, address: "fe80::1/64", family: 6, scope: "link", flags: 0x80 });
  });

  it("addRoute: table above 255 only in RTA_TABLE, metrics nested, scope link without a gateway", () => {
    const ch = new FakeChannel();
    addRoute(ch, { dst: "10.2.0.0/16", index: 4, table: 1000, priority: 50, mtu: 1400, advmss: 1360 });
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    const h = decodeRt(msg.body);
    assert.equal(h.table, 0);
    assert.equal(h.scope, 253);
    assert.equal(h.dstLen, 16);
    assert.equal(h.type, 1);
    const a = parseAttrs(msg.body, 12);
    assert.equal(attrU32(a, RTA.TABLE), 1000);
    assert.equal(attrU32(a, RTA.PRIORITY), 50);
    assert.equal(attrU32(a, RTA.OIF), 4);
    const metrics = attrNested(a, RTA.METRICS);
    assert.ok(metrics);
    assert.equal(attrU32(metrics, RTAX.MTU), 1400);
    assert.equal(attrU32(metrics, RTAX.ADVMSS), 1360);
    // A default route has no RTA_DST and gets universe scope with a gateway.
    addRoute(ch, { dst: "::/0", gw: "fd00::1" });
    const def = ch.sent[1]?.msg;
    assert.ok(def);
    assert.equal(decodeRt(def.body).scope, 0);
    assert.equal(parseAttrs(def.body, 12).has(RTA.DST), false);
    assert.throws(() => addRoute(ch, { dst: "0.0.0.0/0", gw: "fd00::1" }), TypeError);
  });

  it("decodeRoute reads dst, gateway, table and metrics", () => {
    const msg = decodeMessage(
      new MessageBuilder(RTM.NEWROUTE, 0)
        .header(encodeRt({ family: AF.INET, dstLen: 0, table: 254, protocol: 3, scope: 0, type: 1 }))
        .u32(RTA.TABLE, 254)
        .attr(RTA.GATEWAY, Buffer.from([10, 0, 0, 1]))
        .u32(RTA.OIF, 2)
        .nest(RTA.METRICS, (b) => b.u32(RTAX.MTU, 1400))
        .finish(1),
    );
    assert.deepEqual(decodeRoute(msg), {
      family: 4,
      dst: "0.0.0.0/0",
      gw: "10.0.0.1",
      index: 2,
      scope: "global",
      table: 254,
      mtu: 1400,
      protocol: 3,
      type: 1,
    });
  });

  it("addNeighbour and addFdb: families, states, flags", () => {
    const ch = new FakeChannel();
    addNeighbour(ch, { index: 2, ip: "10.0.0.9", mac: "02:00:00:00:00:09", permanent: true });
    addFdb(ch, { index: 5, mac: "02:00:00:00:00:0a", dst: "192.168.1.2" });
    addFdb(ch, { index: 5, mac: "02:00:00:00:00:0b", master: true, replace: true });
    const [n, f1, f2] = ch.sent.map((s) => s.msg);
    assert.ok(n && f1 && f2);
    assert.deepEqual(decodeNd(n.body), { family: AF.INET, index: 2, state: NUD.PERMANENT, flags: 0, type: 0 });
    assert.equal(n.flags & NLM_F.EXCL, NLM_F.EXCL);
    assert.deepEqual(decodeNd(f1.body), {
      family: AF.BRIDGE,
      index: 5,
      state: NUD.PERMANENT,
      flags: NTF.SELF,
      type: 0,
    });
    assert.deepEqual(parseAttrs(f1.body, 12).get(NDA.DST), Buffer.from([192, 168, 1, 2]));
    assert.equal(decodeNd(f2.body).flags, NTF.MASTER);
    assert.equal(f2.flags & NLM_F.REPLACE, NLM_F.REPLACE);
  });

  it("decodeNeighbour and decodeFdb read what the kernel sends", () => {
    const neigh = decodeMessage(
      new MessageBuilder(RTM.NEWNEIGH, 0)
        .header(encodeNd({ family: AF.INET, index: 2, state: NUD.REACHABLE }))
        .attr(NDA.DST, Buffer.from([10, 0, 0, 9]))
        .attr(NDA.LLADDR, Buffer.from([2, 0, 0, 0, 0, 9]))
        .finish(1),
    );
    assert.deepEqual(decodeNeighbour(neigh), {
      index: 2,
      ip: "10.0.0.9",
      family: 4,
      mac: "02:00:00:00:00:09",
      state: NUD.REACHABLE,
      permanent: false,
    });
    const fdb = decodeMessage(
      new MessageBuilder(RTM.NEWNEIGH, 0)
        .header(encodeNd({ family: AF.BRIDGE, index: 4, state: NUD.PERMANENT, flags: NTF.MASTER }))
        .attr(NDA.LLADDR, Buffer.from([2, 0, 0, 0, 0, 0xa]))
        .u32(NDA.MASTER, 3)
        .finish(1),
    );
    assert.deepEqual(decodeFdb(fdb), {
      index: 4,
      mac: "02:00:00:00:00:0a",
      master: 3,
      self: false,
      permanent: true,
      state: NUD.PERMANENT,
      flags: NTF.MASTER,
    });
    assert.equal(decodeFdb(neigh), null);
    assert.equal(decodeNeighbour(fdb), null);
  });
});

describe("errors", () => {
  it("toKernelError: message names the object, the reason and the kernel's text", () => {
    const e = toKernelError(nativeError(17, "EEXIST", "File exists"), "addVeth", "veth c0ffee12");
    assert.ok(e instanceof KernelError);
    assert.equal(e.message, "veth c0ffee12: File exists");
    assert.equal(e.errno, 17);
    assert.equal(e.code, "EEXIST");
    assert.equal(e.op, "addVeth");
    const k = toKernelError(nativeError(22, "EINVAL", "Invalid argument", "Unknown device type"), "addVeth", "x");
    assert.ok(k instanceof KernelError);
    assert.equal(k.message, "x: Invalid argument (kernel: Unknown device type)");
    assert.equal(k.kernelMessage, "Unknown device type");
  });

  it("toKernelError: ENODEV is LinkNotFoundError; other errors pass through", () => {
    assert.ok(
      toKernelError(nativeError(19, "ENODEV", "No such device"), "deleteLink", "link x") instanceof LinkNotFoundError,
    );
    const plain = new TypeError("nope");
    assert.equal(toKernelError(plain, "op", "obj"), plain);
  });
});

describe("createHostVeth", () => {
  const exists = () =>
    new KernelError({ errno: 17, code: "EEXIST", op: "addVeth", object: "veth x", reason: "File exists" });
  const gone = () =>
    new LinkNotFoundError({ errno: 19, code: "ENODEV", op: "getLink", object: "link x", reason: "No such device" });

  it("randomVethName: prefix + 8 hex characters", () => {
    assert.match(randomVethName(), /^veth[0-9a-f]{8}$/);
    assert.match(randomVethName("qk"), /^qk[0-9a-f]{8}$/);
    assert.throws(() => randomVethName("toolong!"), RangeError);
  });

  it("retries with a new name while the host name is taken", () => {
    let creates = 0;
    const names: string[] = [];
    const ch = new FakeChannel((req) => {
      const name = attrStr(parseAttrs(req.body, 16), IFLA.IFNAME) ?? "";
      if (req.type === RTM.NEWLINK) {
        names.push(name);
        if (++creates < 3) throw exists();
        return [];
      }
      return [linkReply(8, name)]; // the clashing host name exists, and so does the final one
    });
    const link = createHostVeth(ch, { peerName: "eth0", prefix: "qk" });
    assert.equal(creates, 3);
    assert.equal(new Set(names).size, 3);
    assert.equal(link.name, names[2]);
  });

  it("does not retry when the peer name is taken in the target netns", () => {
    let creates = 0;
    const ch = new FakeChannel((req) => {
      if (req.type === RTM.NEWLINK) {
        creates++;
        throw exists();
      }
      throw gone(); // the host name is free: the clash was the peer's
    });
    assert.throws(
      () => createHostVeth(ch, { peerName: "eth0" }),
      (e: unknown) => e instanceof KernelError && e.code === "EEXIST" && /veth peer eth0/.test(e.message),
    );
    assert.equal(creates, 1);
  });

  it("gives up after `tries` host-side clashes with the last EEXIST", () => {
    let creates = 0;
    const ch = new FakeChannel((req) => {
      if (req.type === RTM.NEWLINK) {
        creates++;
        throw exists();
      }
      return [linkReply(8, "taken")];
    });
    assert.throws(
      () => createHostVeth(ch, { peerName: "eth0" }),
      (e: unknown) => e instanceof KernelError && e.code === "EEXIST",
    );
    assert.equal(creates, 10);
  });
});
