// The native addon's own contract: argument checks, error shape, netns checks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addon, isNativeError } from "../../src/kernel/addon.js";
import { NLM_F, RTM } from "../../src/kernel/constants.js";
import { MessageBuilder } from "../../src/kernel/netlink-message.js";
import { encodeIfInfo } from "../../src/kernel/rtnl-headers.js";
import { uniqueName, withTestNetns } from "../helpers/netns.js";
import { needsRoot } from "./pair.js";

describe("netlink addon", { skip: needsRoot }, () => {
  it("errors carry errno, code and syscall", () => {
    assert.throws(
      () => addon().openSocket(`/var/run/netns/${uniqueName()}`),
      (e: unknown) => isNativeError(e) && e.errno === 2 && e.code === "ENOENT" && e.syscall === "open",
    );
    assert.throws(
      () => addon().openSocket("/etc/hostname"),
      (e: unknown) => isNativeError(e) && e.code === "EINVAL" && e.syscall === "setns",
    );
    assert.throws(
      () => addon().closeSocket(1_000_000),
      (e: unknown) => isNativeError(e) && e.code === "EBADF",
    );
  });

  it("netnsCheck: true for a netns, false for other files and other namespace kinds, ENOENT when missing", () =>
    withTestNetns(1, ([ns]) => {
      assert.ok(ns);
      assert.equal(addon().netnsCheck(ns.path), true);
      assert.equal(addon().netnsCheck("/proc/self/ns/net"), true);
      assert.equal(addon().netnsCheck("/proc/self/ns/uts"), false);
      assert.equal(addon().netnsCheck("/etc/hostname"), false);
      assert.throws(
        () => addon().netnsCheck(`${ns.path}-missing`),
        (e: unknown) => isNativeError(e) && e.code === "ENOENT",
      );
    }));

  it("request refuses messages that would hang or lie about their length, then still works", () =>
    withTestNetns(1, ([ns]) => {
      assert.ok(ns);
      const fd = addon().openSocket(ns.path);
      try {
        // finish() always adds NLM_F_REQUEST; clear NLM_F_ACK by hand.
        const noAck = new MessageBuilder(RTM.GETLINK, NLM_F.ACK).header(encodeIfInfo({ index: 1 })).finish(1);
        noAck.writeUInt16LE(NLM_F.REQUEST, 6);
        assert.throws(() => addon().request(fd, noAck), RangeError);
        const bad = new MessageBuilder(RTM.GETLINK, NLM_F.ACK).header(encodeIfInfo({ index: 1 })).finish(2);
        assert.throws(() => addon().request(fd, bad.subarray(0, 20)), RangeError);
        assert.throws(() => addon().request(fd, Buffer.alloc(4)), TypeError);
        const ok = new MessageBuilder(RTM.GETLINK, NLM_F.ACK).header(encodeIfInfo({ index: 1 })).finish(3);
        const replies = addon().request(fd, ok);
        assert.equal(replies.length, 1);
        assert.equal(replies[0]?.readUInt16LE(4), RTM.NEWLINK);
        const dump = addon().request(fd, new MessageBuilder(RTM.GETLINK, NLM_F.DUMP).header(encodeIfInfo()).finish(4));
        assert.equal(dump.length, 1, "a fresh netns has only lo");
      } finally {
        addon().closeSocket(fd);
      }
    }));

  it("kernel errors carry the extended-ack text", () =>
    withTestNetns(1, ([ns]) => {
      assert.ok(ns);
      const fd = addon().openSocket(ns.path);
      try {
        // A link of an unknown kind: rtnetlink answers with an extack message.
        const m = new MessageBuilder(RTM.NEWLINK, NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL)
          .header(encodeIfInfo())
          .str(3, "qk-x")
          .nest(18, (b) => b.str(1, "qk-no-such-kind"))
          .finish(1);
        assert.throws(
          () => addon().request(fd, m),
          (e: unknown) => isNativeError(e) && e.syscall === "netlink" && typeof e.kernelMessage === "string",
        );
      } finally {
        addon().closeSocket(fd);
      }
    }));
});
