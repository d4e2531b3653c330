// The test netns helper itself: namespaces really exist inside fn and are gone afterwards.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipJson, netnsExists, nsExec, TestNamespaces, type TestNetns, withTestNetns } from "../helpers/netns.js";
import { needsRoot } from "./pair.js";

describe("test netns helper", { skip: needsRoot }, () => {
  it("withTestNetns makes distinct qtest- namespaces and removes them", async () => {
    let seen: TestNetns[] = [];
    await withTestNetns(2, (ns) => {
      seen = ns;
      assert.equal(new Set(ns.map((n) => n.name)).size, 2);
      for (const n of ns) {
        assert.match(n.name, /^qtest-[0-9a-f]{8}$/);
        assert.equal(n.path, `/var/run/netns/${n.name}`);
        assert.ok(netnsExists(n.name));
        const [lo] = ipJson<{ ifname: string; flags: string[] }[]>(n.name, ["link", "show", "lo"]);
        assert.ok(lo?.flags.includes("UP"), "loopback is up");
      }
    });
    for (const n of seen) assert.equal(netnsExists(n.name), false);
  });

  it("withTestNetns removes them when fn rejects", async () => {
    let seen: TestNetns[] = [];
    await assert.rejects(
      withTestNetns(1, async (ns) => {
        seen = ns;
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(seen.length, 1);
    for (const n of seen) assert.equal(netnsExists(n.name), false);
  });

  it("TestNamespaces for hooks; nsExec runs inside the namespace", () => {
    const set = TestNamespaces.create(1);
    try {
      const out = nsExec(set.get(0).name, "cat", ["/proc/net/dev"]);
      assert.match(out, /\blo:/);
      assert.doesNotMatch(out, /\beth0:/);
      assert.throws(() => set.get(1), RangeError);
    } finally {
      set.cleanup();
    }
    set.cleanup();
  });
});
