// Address, route, neighbour and FDB requests and replies, through a fake channel.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addAddress, decodeAddress } from "./address.js";
import { AF, IFA, NDA, NLM_F, NTF, NUD, RTA, RTAX, RTM } from "./constants.js";
import { addFdb, addNeighbour, decodeFdb, decodeNeighbour } from "./neighbour.js";
import { attrNested, attrU32, decodeMessage, MessageBuilder, parseAttrs } from "./netlink-message.js";
import { addRoute, decodeRoute } from "./route.js";
import { decodeIfAddr, decodeNd, decodeRt, encodeIfAddr, encodeNd, encodeRt } from "./rtnl-headers.js";
import { FakeChannel } from "./testing/fake-channel.js";

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
