// The DEL fast path's deferred link deletions finished together (deleteLinksTogether) over the
// fakes: one group deletion for the batch, everything the DELs owed done, and each fallback.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LinkNotFoundError, type Rtnl } from "../kernel/index.js";
import { type DeferredLinkDeletion, deleteLinksTogether } from "./link-deletion.js";
import { networkSpec } from "./network-spec.js";
import { type FakeDataplane, fakeDataplane } from "./testing/index.js";

const SPEC = networkSpec({ name: "net1", subnets: [{ subnet: "10.9.0.0/28", gateway: "10.9.0.1" }] });

function lab(n: number): FakeDataplane {
  const f = fakeDataplane();
  for (let i = 1; i <= n; i++) {
    f.kernel.addNetns(`/run/netns/c${i}`);
    f.dataplane.add(SPEC, { containerId: `ctr${i}`, ifname: "eth0", netnsPath: `/run/netns/c${i}`, requestedIps: [] });
  }
  return f;
}

function fastDel(f: FakeDataplane, i: number, deferRelease = false): DeferredLinkDeletion {
  const d = f.dataplane.delFast(
    SPEC,
    { containerId: `ctr${i}`, ifname: "eth0", netnsPath: `/run/netns/c${i}` },
    deferRelease,
  );
  assert.ok(d, `ctr${i} was attached`);
  return d;
}

function veths(f: FakeDataplane): string[] {
  return [...f.kernel.host.links.values()].filter((l) => l.kind === "veth").map((l) => l.name);
}

describe("deferred link deletions, together", () => {
  for (const deferRelease of [false, true]) {
    test(`${deferRelease ? "deferRelease: " : ""}many DELs' links go in one group deletion and every DEL completes`, () => {
      const f = lab(5);
      const items = [1, 2, 3, 4, 5].map((i) => fastDel(f, i, deferRelease));
      assert.equal(veths(f).length, 5, "no link deleted before the batch");
      assert.equal(f.store.listPendingLinkDeletions().length, 5);
      assert.equal(f.store.listReservations().length, deferRelease ? 5 : 0);

      const errors = deleteLinksTogether(items, () => 0x40000007);

      assert.deepEqual(errors, [undefined, undefined, undefined, undefined, undefined]);
      assert.equal(f.kernel.host.groupDeletions, 1, "one request for the whole batch");
      assert.deepEqual(f.driver.detached, [], "the driver's one-by-one detach was not needed");
      assert.deepEqual(veths(f), []);
      for (let i = 1; i <= 5; i++)
        assert.deepEqual([...(f.kernel.netns(`/run/netns/c${i}`)?.links.keys() ?? [])], ["lo"]);
      assert.deepEqual(f.store.listPendingLinkDeletions(), []);
      assert.deepEqual(f.store.listReservations(), []);
      assert.deepEqual(f.firewall.ips(SPEC.id), []);
    });
  }

  test("a host end already gone counts as deleted; a driver that cannot group deletes alone", () => {
    const f = lab(2);
    const gone = fastDel(f, 1);
    f.kernel.host.drop("vethctr1");
    const alone = { ...fastDel(f, 2), groupable: undefined };
    const errors = deleteLinksTogether([gone, alone]);
    assert.deepEqual(errors, [undefined, undefined]);
    assert.equal(f.kernel.host.groupDeletions, 0);
    assert.deepEqual(
      f.driver.detached.map((d) => d.containerId),
      ["ctr2"],
    );
    assert.deepEqual(veths(f), []);
    assert.deepEqual(f.store.listPendingLinkDeletions(), []);
  });

  test("a failing group deletion falls back to one by one", () => {
    const f = lab(2);
    const items = [fastDel(f, 1), fastDel(f, 2)];
    const host = f.dataplane.host as Rtnl & { deleteLinkGroup: (g: number) => void };
    const broken = new Proxy(host, {
      get: (t, p, r) =>
        p === "deleteLinkGroup"
          ? () => {
              throw new Error("EBUSY");
            }
          : Reflect.get(t, p, r),
    });
    const errors = deleteLinksTogether(items.map((d) => ({ ...d, host: broken })));
    assert.deepEqual(errors, [undefined, undefined]);
    assert.equal(f.driver.detached.length, 2);
    assert.deepEqual(veths(f), []);
    assert.deepEqual(f.store.listPendingLinkDeletions(), []);
  });

  test("a deletion that fails is reported for its item only, with context and cause; its pending record stays", () => {
    const f = lab(2);
    const cause = new Error("EPERM");
    const bad: DeferredLinkDeletion = {
      ...fastDel(f, 1),
      groupable: undefined,
      deleteAlone: () => {
        throw cause;
      },
    };
    const good = fastDel(f, 2);
    const [e1, e2] = deleteLinksTogether([bad, good]);
    assert.ok(e1);
    assert.match(e1.message, /DEL ctr1\/eth0 from network "net1": remove the container's link: EPERM/);
    assert.equal(e1.cause, cause);
    assert.equal(e2, undefined);
    assert.deepEqual(
      f.store.listPendingLinkDeletions().map((p) => p.containerId),
      ["ctr1"],
      "left for the next ADD of ctr1 or reconcile",
    );
  });

  test("an ADD of a container whose deletion is still pending finishes it first", () => {
    const f = lab(1);
    fastDel(f, 1);
    f.dataplane.add(SPEC, { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1", requestedIps: [] });
    assert.deepEqual(f.store.listPendingLinkDeletions(), []);
    assert.equal(veths(f).length, 1);
  });

  test("the fake's group deletion is ENODEV when empty, as the kernel's", () => {
    const f = lab(0);
    assert.throws(() => f.kernel.host.deleteGroup(5), LinkNotFoundError);
  });
});
