// Random host veth names and the retry policy of createHostVeth, through a fake channel.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IFLA, RTM } from "./constants.js";
import { KernelError, LinkNotFoundError } from "./errors.js";
import { attrStr, parseAttrs } from "./netlink-message.js";
import { FakeChannel, linkReply } from "./testing/fake-channel.js";
import { createHostVeth, randomVethName } from "./veth.js";

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
