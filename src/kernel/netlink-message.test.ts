import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NLA_F_NESTED, NLM_F } from "./constants.js";
import {
  align4,
  attrNested,
  attrS32,
  attrStr,
  attrU8,
  attrU16be,
  attrU32,
  decodeMessage,
  MessageBuilder,
  NLMSG_HDRLEN,
  parseAttrs,
} from "./netlink-message.js";
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

describe("MessageBuilder", () => {
  it("writes nlmsghdr with length, type, REQUEST flag, seq and pid", () => {
    const buf = new MessageBuilder(18, NLM_F.ACK).header(encodeIfInfo({ index: 7 })).finish(42, 9);
    const m = decodeMessage(buf);
    assert.equal(buf.readUInt32LE(0), buf.length);
    assert.equal(m.type, 18);
    assert.equal(m.flags, NLM_F.ACK | NLM_F.REQUEST);
    assert.equal(m.seq, 42);
    assert.equal(m.pid, 9);
    assert.equal(decodeIfInfo(m.body).index, 7);
  });

  it("pads attributes to 4 bytes and records the unpadded length", () => {
    const buf = new MessageBuilder(16, 0).u8(1, 0xab).str(3, "eth0").finish(1);
    // u8 attr: 4 header + 1 payload = 5, padded to 8; "eth0\0": 4 + 5 = 9, padded to 12.
    assert.equal(buf.length, NLMSG_HDRLEN + 8 + 12);
    assert.equal(buf.readUInt16LE(NLMSG_HDRLEN), 5);
    assert.equal(buf.readUInt16LE(NLMSG_HDRLEN + 8), 9);
    const a = parseAttrs(decodeMessage(buf).body);
    assert.equal(attrU8(a, 1), 0xab);
    assert.equal(attrStr(a, 3), "eth0");
  });

  it("round-trips integers in host and network byte order", () => {
    const body = decodeMessage(
      new MessageBuilder(16, 0).u32(1, 0xfffffffe).s32(2, -1).u16be(3, 4789).u16(4, 0x1234).finish(1),
    ).body;
    const a = parseAttrs(body);
    assert.equal(attrU32(a, 1), 0xfffffffe);
    assert.equal(attrS32(a, 2), -1);
    assert.equal(attrU16be(a, 3), 4789);
    assert.deepEqual(a.get(3), Buffer.from([0x12, 0xb5]));
    assert.equal(a.get(4)?.readUInt16LE(0), 0x1234);
  });

  it("nests attributes, sets NLA_F_NESTED and masks it off when parsing", () => {
    const buf = new MessageBuilder(16, 0)
      .nest(18, (b) => {
        b.str(1, "veth");
        b.nest(2, (d) => {
          d.begin(1)
            .header(encodeIfInfo({ index: 3 }))
            .str(3, "eth0")
            .u32(28, 11)
            .end();
        });
      })
      .u32(4, 1500)
      .finish(1);
    const body = decodeMessage(buf).body;
    assert.equal(body.readUInt16LE(2), 18 | NLA_F_NESTED);
    const top = parseAttrs(body);
    assert.equal(attrU32(top, 4), 1500);
    const info = attrNested(top, 18);
    assert.ok(info);
    assert.equal(attrStr(info, 1), "veth");
    const peer = attrNested(info, 2)?.get(1);
    assert.ok(peer);
    assert.equal(decodeIfInfo(peer).index, 3);
    const peerAttrs = parseAttrs(peer, 16);
    assert.equal(attrStr(peerAttrs, 3), "eth0");
    assert.equal(attrU32(peerAttrs, 28), 11);
  });

  it("grows past its initial buffer", () => {
    const b = new MessageBuilder(16, 0);
    for (let i = 0; i < 300; i++) b.u32(1, i);
    const buf = b.finish(1);
    assert.equal(buf.length, NLMSG_HDRLEN + 300 * 8);
    assert.equal(buf.readUInt32LE(buf.length - 4), 299);
  });

  it("refuses unbalanced nesting", () => {
    assert.throws(() => new MessageBuilder(16, 0).begin(1).finish(1), /open nested/);
    assert.throws(() => new MessageBuilder(16, 0).end(), /without begin/);
  });
});

describe("parseAttrs / decodeMessage", () => {
  it("stops at a truncated attribute instead of reading past the end", () => {
    const good = new MessageBuilder(16, 0).u32(1, 5).finish(1).subarray(NLMSG_HDRLEN);
    const bad = Buffer.concat([good, Buffer.from([40, 0, 2, 0, 1, 2])]);
    const a = parseAttrs(bad);
    assert.deepEqual([...a.keys()], [1]);
  });

  it("rejects a message whose length field is wrong", () => {
    const buf = new MessageBuilder(16, 0).finish(1);
    buf.writeUInt32LE(999, 0);
    assert.throws(() => decodeMessage(buf), RangeError);
    assert.throws(() => decodeMessage(Buffer.alloc(4)), RangeError);
  });

  it("align4 rounds up to a multiple of 4", () => {
    assert.deepEqual([0, 1, 4, 5, 7, 8].map(align4), [0, 4, 4, 8, 8, 8]);
  });
});

describe("family headers", () => {
  it("round-trip ifinfomsg, ifaddrmsg, rtmsg and ndmsg", () => {
    const ifi = { family: 7, type: 1, index: 12, flags: 0x11043, change: 0xffffffff };
    assert.deepEqual(decodeIfInfo(encodeIfInfo(ifi)), ifi);
    const ifa = { family: 10, prefixLen: 64, flags: 0x80, scope: 253, index: 4 };
    assert.deepEqual(decodeIfAddr(encodeIfAddr(ifa)), ifa);
    const rt = { family: 2, dstLen: 24, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0 };
    assert.deepEqual(decodeRt(encodeRt(rt)), rt);
    const nd = { family: 7, index: 9, state: 0x80, flags: 2, type: 0 };
    assert.deepEqual(decodeNd(encodeNd(nd)), nd);
  });

  it("have the kernel's sizes", () => {
    assert.equal(encodeIfInfo().length, 16);
    assert.equal(encodeIfAddr().length, 8);
    assert.equal(encodeRt().length, 12);
    assert.equal(encodeNd().length, 12);
  });
});
