// Link-group requests through a fake channel (no root, no addon); the real kernel's behaviour is
// covered by test/kernel/link-group.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IFLA, NLM_F, RTM } from "./constants.js";
import { deleteLinkGroup, setLinkGroup } from "./link-group.js";
import { attrStr, attrU32, parseAttrs } from "./netlink-message.js";
import { decodeIfInfo } from "./rtnl-headers.js";
import { FakeChannel } from "./testing/fake-channel.js";

describe("link groups", () => {
  it("setLinkGroup by name: NEWLINK without create flags, the name and IFLA_GROUP", () => {
    const ch = new FakeChannel();
    setLinkGroup(ch, "qkveth0", 0x40000001);
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    assert.equal(msg.type, RTM.NEWLINK);
    assert.equal(msg.flags, NLM_F.REQUEST | NLM_F.ACK, "never creates a link");
    assert.equal(decodeIfInfo(msg.body).index, 0);
    const a = parseAttrs(msg.body, 16);
    assert.equal(attrStr(a, IFLA.IFNAME), "qkveth0");
    assert.equal(attrU32(a, IFLA.GROUP), 0x40000001);
  });

  it("setLinkGroup by index puts the index in the header", () => {
    const ch = new FakeChannel();
    setLinkGroup(ch, 7, 9);
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    assert.equal(decodeIfInfo(msg.body).index, 7);
    assert.equal(parseAttrs(msg.body, 16).has(IFLA.IFNAME), false);
  });

  it("deleteLinkGroup: DELLINK with neither index nor name, only the group", () => {
    const ch = new FakeChannel();
    deleteLinkGroup(ch, 0xfffffffe);
    const msg = ch.sent[0]?.msg;
    assert.ok(msg);
    assert.equal(msg.type, RTM.DELLINK);
    assert.equal(decodeIfInfo(msg.body).index, 0);
    const a = parseAttrs(msg.body, 16);
    assert.equal(a.has(IFLA.IFNAME), false);
    assert.equal(attrU32(a, IFLA.GROUP), 0xfffffffe);
  });

  it("refuses group 0 (every link's default) and out-of-range groups before sending", () => {
    const ch = new FakeChannel();
    for (const g of [0, -1, 1.5, 2 ** 32]) {
      assert.throws(() => deleteLinkGroup(ch, g), RangeError, `group ${g}`);
      assert.throws(() => setLinkGroup(ch, "qk0", g), RangeError, `group ${g}`);
    }
    assert.equal(ch.sent.length, 0);
  });
});
