// The dataplane's core without root: ADD, DEL, CHECK, GC, STATUS, the DEL fast path and reconcile,
// over the fakes of network/testing (kernel, firewall, driver) and the in-memory store.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IpamError } from "../ipam/index.js";
import { NetnsNotFoundError } from "../kernel/index.js";
import type { Store } from "../store/index.js";
import { HOLDER_IFNAME } from "./docker/docker-dataplane.js";
import { AttachmentProblemsError, InterfaceExistsError } from "./errors.js";
import { finishDeferredDeletion } from "./fast-detach.js";
import { networkSpec } from "./network-spec.js";
import { type DriverStep, type FakeDataplane, fakeDataplane } from "./testing/index.js";
import type { AttachRequest } from "./types.js";
import { StepError } from "./undo.js";

const SPEC = networkSpec({ name: "net1", subnets: [{ subnet: "10.9.0.0/29", gateway: "10.9.0.1" }] });

function request(n: number, over: Partial<AttachRequest> = {}): AttachRequest {
  return { containerId: `ctr${n}`, ifname: "eth0", netnsPath: `/run/netns/c${n}`, requestedIps: [], ...over };
}

/** A fresh fake dataplane with container netns c1..cN. */
function lab(containers = 3): FakeDataplane {
  const f = fakeDataplane();
  for (let i = 1; i <= containers; i++) f.kernel.addNetns(`/run/netns/c${i}`);
  return f;
}

/** Nothing of any container is left: no reservation, attachment, element, host end or container link. */
function assertNothingLeft(f: FakeDataplane, ...netns: string[]): void {
  assert.deepEqual(f.store.listReservations(), [], "reservations");
  assert.deepEqual(f.store.listAttachments(), [], "attachments");
  assert.deepEqual(f.firewall.ips(SPEC.id), [], "firewall elements");
  const veths = [...f.kernel.host.links.values()].filter((l) => l.kind === "veth").map((l) => l.name);
  assert.deepEqual(veths, [], "host ends");
  for (const p of netns) assert.deepEqual([...(f.kernel.netns(p)?.links.keys() ?? [])], ["lo"], `links in ${p}`);
}

function failDriverAt(f: FakeDataplane, step: DriverStep): void {
  f.driver.failAt = step;
}

/** The store with one method made to throw once (a full disk, a broken file). */
/** Makes the nth call (1 = the next) of a store method throw, once. */
function failingOnce(store: Store, method: keyof Store, error: Error, nth = 1): void {
  const original = (store[method] as (...a: unknown[]) => unknown).bind(store);
  let calls = 0;
  (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    if (++calls === nth) throw error;
    return original(...args);
  };
}

describe("dataplane ADD", () => {
  test("wires the container and records everything in agreement", () => {
    const f = lab();
    const res = f.dataplane.add(SPEC, request(1));
    assert.deepEqual(
      res.ips.map((ip) => ip.address),
      ["10.9.0.2/29"],
    );
    assert.equal(res.interfaces[2]?.sandbox, "/run/netns/c1");
    const att = f.store.getAttachment("net1", "ctr1", "eth0");
    assert.deepEqual(att?.ips, ["10.9.0.2/29"]);
    assert.equal(att?.hostIfname, "vethctr1");
    assert.deepEqual(f.firewall.ips(SPEC.id), ["10.9.0.2"]);
    assert.ok(f.kernel.netns("/run/netns/c1")?.get("eth0"));
    assert.ok(f.kernel.host.get("vethctr1"));
    assert.equal(f.kernel.calls.closed, f.kernel.calls.openNetns, "the container socket is closed");
  });

  test("a second ADD of the same container and ifname is refused as a duplicate, touching nothing", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    assert.throws(
      () => f.dataplane.add(SPEC, request(1)),
      (e: unknown) => e instanceof StepError && e.cause instanceof IpamError && e.cause.kind === "duplicate",
    );
    assert.equal(f.store.listReservations().length, 1);
    assert.equal(f.store.listAttachments().length, 1);
  });

  test("a missing netns or an existing ifname fails before any address is taken", () => {
    const f = lab();
    assert.throws(
      () => f.dataplane.add(SPEC, request(9)),
      (e: unknown) => e instanceof StepError && e.cause instanceof NetnsNotFoundError,
    );
    f.kernel.netns("/run/netns/c1")?.add({ name: "eth0" });
    assert.throws(
      () => f.dataplane.add(SPEC, request(1)),
      (e: unknown) => e instanceof StepError && e.cause instanceof InterfaceExistsError,
    );
    assert.deepEqual(f.store.listReservations(), []);
    assert.deepEqual(f.firewall.networks.size, 0);
  });

  // Every step that can fail, and what the unwind must leave: nothing.
  const steps: [string, (f: FakeDataplane) => void, RegExp][] = [
    ["the pool is exhausted", () => undefined, /^allocate addresses: /],
    ["the firewall refuses the network", (f) => f.firewall.failNext("ensureNetwork"), /^program the firewall/],
    ["the driver fails at the bridge", (f) => failDriverAt(f, "bridge"), /^wire the container: .*bridge/],
    ["the driver fails at the host end", (f) => failDriverAt(f, "host-end"), /^wire the container: .*host-end/],
    [
      "the driver fails at the container end",
      (f) => failDriverAt(f, "container-end"),
      /^wire the container: .*container-end/,
    ],
    [
      "the firewall refuses the element",
      (f) => f.firewall.failNext("addContainer"),
      /^add the container to the firewall/,
    ],
    [
      // The reservation and the first record of the attachment are one transaction (issue 10).
      "the store cannot record the attachment with its reservation",
      (f) => failingOnce(f.store, "putAttachment", new Error("disk I/O error")),
      /^allocate addresses: disk I\/O error/,
    ],
    [
      "the store cannot complete the attachment record",
      (f) => failingOnce(f.store, "putAttachment", new Error("disk I/O error"), 2),
      /^record the attachment: disk I\/O error/,
    ],
  ];
  for (const [what, arrange, message] of steps) {
    test(`unwinds everything when ${what}`, () => {
      const f = lab();
      const spec =
        what === "the pool is exhausted"
          ? networkSpec({ name: "net1", subnets: [{ subnet: "10.9.0.0/31" }] }) // no usable host
          : SPEC;
      arrange(f);
      assert.throws(
        () => f.dataplane.add(spec, request(1)),
        (e: unknown) => {
          assert.ok(e instanceof StepError, String(e));
          assert.match(e.message, message);
          assert.deepEqual(e.undoFailures, []);
          return true;
        },
      );
      assertNothingLeft(f, "/run/netns/c1");
      // And the container can be added once the cause is gone.
      f.driver.failAt = undefined;
      if (spec === SPEC) f.dataplane.add(SPEC, request(1));
    });
  }

  test("an unwind that fails says what it left behind", () => {
    const f = lab();
    f.driver.failAt = "container-end";
    f.driver.failUndoOf = "host-end";
    assert.throws(
      () => f.dataplane.add(SPEC, request(1)),
      (e: unknown) => {
        assert.ok(e instanceof StepError);
        assert.equal(e.undoFailures.length, 1);
        assert.match(
          e.message,
          /container-end failed; and unwinding failed, left behind: undo "delete host end vethctr1"/,
        );
        return true;
      },
    );
    // The reservation was still released: the unwind runs every undo.
    assert.deepEqual(f.store.listReservations(), []);
  });
});

describe("dataplane DEL", () => {
  test("is idempotent: twice, and for a container never added", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    const del = { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1" };
    f.dataplane.del(SPEC, del);
    f.dataplane.del(SPEC, del);
    f.dataplane.del(SPEC, { containerId: "never", ifname: "eth0" });
    assertNothingLeft(f, "/run/netns/c1");
  });

  test("without a netns (containerd's second DEL) it releases by the recorded host end", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    f.kernel.removeNetns("/run/netns/c1");
    f.dataplane.del(SPEC, { containerId: "ctr1", ifname: "eth0" });
    assert.deepEqual(f.driver.detached.at(-1), { containerId: "ctr1", ifname: "eth0", hostIfname: "vethctr1" });
    assertNothingLeft(f);
  });

  test("runs every step and reports the failures together, as errors", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    f.firewall.failNext("removeContainers", new Error("nft: table busy"));
    assert.throws(
      () => f.dataplane.del(SPEC, { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1" }),
      (e: unknown) => {
        assert.ok(e instanceof AttachmentProblemsError);
        assert.equal(e.problems.length, 1);
        assert.ok(e.problems[0] instanceof Error);
        assert.match(e.message, /remove firewall elements: nft: table busy/);
        return true;
      },
    );
    // The other steps ran: the address is free and the link gone; only the element is left.
    assert.deepEqual(f.store.listReservations(), []);
    assert.deepEqual(f.firewall.ips(SPEC.id), ["10.9.0.2"]);
  });
});

describe("dataplane CHECK", () => {
  const expected = { ips: [{ address: "10.9.0.2/29", gateway: "10.9.0.1", family: 4 as const }], routes: [] };
  const target = { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1" };

  test("passes right after ADD", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    f.dataplane.check(SPEC, target, expected);
  });

  test("finds each kind of drift", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    f.kernel.netns("/run/netns/c1")?.delete("eth0");
    f.firewall.removeContainers(SPEC.id, [{ ips: ["10.9.0.2"] }]);
    f.store.releaseById("net1", "ctr1", "eth0");
    assert.throws(
      () => f.dataplane.check(SPEC, target, expected),
      (e: unknown) => {
        assert.ok(e instanceof AttachmentProblemsError);
        const found = e.problems.map((p) => p.message);
        assert.deepEqual(found, [
          "address 10.9.0.2/29 has no reservation",
          // A veth dies whole: the host end went with the container's.
          'host end "vethctr1" is missing',
          'interface "eth0" is missing in the container',
          "firewall elements for 10.9.0.2 are missing",
        ]);
        return true;
      },
    );
  });

  test("a container never added has no attachment", () => {
    const f = lab();
    assert.throws(() => f.dataplane.check(SPEC, target, expected), /no attachment recorded for ctr1\/eth0/);
  });
});

describe("dataplane GC", () => {
  test("frees every attachment not in the valid list, keeps the listed ones", () => {
    const f = lab(3);
    for (const n of [1, 2, 3]) f.dataplane.add(SPEC, request(n));
    f.dataplane.gc(SPEC, [{ containerId: "ctr2", ifname: "eth0" }]);
    assert.deepEqual(
      f.store.listAttachments().map((a) => a.containerId),
      ["ctr2"],
    );
    assert.deepEqual(
      f.store.listReservations().map((r) => r.containerId),
      ["ctr2"],
    );
    assert.deepEqual(f.firewall.ips(SPEC.id), ["10.9.0.3"]);
    assert.ok(f.kernel.host.get("vethctr2"));
    assert.equal(f.kernel.host.get("vethctr1"), undefined);
  });

  test("an empty valid list frees everything, reservations without attachment included", () => {
    const f = lab(2);
    f.dataplane.add(SPEC, request(1));
    f.dataplane.allocator.allocate({
      network: "net1",
      containerId: "half-made",
      ifname: "eth0",
      rangeSets: [[{ subnet: "10.9.0.0/29" }]],
      requested: [],
    });
    f.dataplane.gc(SPEC, []);
    assertNothingLeft(f, "/run/netns/c1");
  });

  test("never frees what Docker holds on the same network (its ReleaseAddress does)", () => {
    const f = lab(1);
    f.dataplane.add(SPEC, request(1));
    f.dataplane.allocator.allocate({
      network: "net1",
      containerId: "docker-addr-1",
      ifname: HOLDER_IFNAME,
      rangeSets: [[{ subnet: "10.9.0.0/29" }]],
      requested: [],
    });
    f.store.putAttachment({
      network: "net1",
      containerId: "docker-addr-1",
      ifname: HOLDER_IFNAME,
      netns: "",
      ips: ["10.9.0.3/29"],
      result: {},
    });
    f.dataplane.gc(SPEC, []);
    assert.deepEqual(
      f.store.listReservations().map((r) => r.containerId),
      ["docker-addr-1"],
    );
    assert.deepEqual(
      f.store.listAttachments().map((a) => a.containerId),
      ["docker-addr-1"],
    );
  });

  test("a failing step is reported after the others ran", () => {
    const f = lab(2);
    f.dataplane.add(SPEC, request(1));
    f.firewall.failNext("removeContainers");
    assert.throws(() => f.dataplane.gc(SPEC, []), AttachmentProblemsError);
    assert.deepEqual(f.store.listAttachments(), []);
  });
});

describe("dataplane STATUS", () => {
  test("ready, then the reasons it is not", () => {
    const f = lab(2);
    const tiny = networkSpec({ name: "net1", subnets: [{ subnet: "10.9.0.0/30" }] });
    assert.deepEqual(f.dataplane.status(tiny), []);
    f.dataplane.add(tiny, request(1));
    f.kernel.nft = false;
    const reasons = f.dataplane.status(tiny);
    assert.equal(reasons.length, 2);
    assert.match(reasons[0] ?? "", /nftables \(nft\) is not installed/);
    assert.match(reasons[1] ?? "", /address pool 10.9.0.0\/30 is exhausted \(1 of 1 in use\)/);
  });
});

describe("dataplane DEL fast path", () => {
  test("releases before answering, deletes the link after, and leaves no pending deletion", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    const after = f.dataplane.delFast(SPEC, { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1" }, false);
    assert.ok(after);
    assert.deepEqual(f.store.listReservations(), []);
    assert.deepEqual(f.firewall.ips(SPEC.id), []);
    assert.equal(f.store.listPendingLinkDeletions().length, 1);
    assert.ok(f.kernel.host.get("vethctr1"), "the link waits until after the answer");
    finishDeferredDeletion(after);
    assertNothingLeft(f, "/run/netns/c1");
    assert.deepEqual(f.store.listPendingLinkDeletions(), []);
  });

  test("does not apply when nothing is attached", () => {
    const f = lab();
    assert.equal(
      f.dataplane.delFast(SPEC, { containerId: "x", ifname: "eth0", netnsPath: "/run/netns/c1" }, false),
      undefined,
    );
  });

  test("an ADD of the same container finishes a pending deletion first", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    f.dataplane.delFast(SPEC, { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1" }, false);
    // The daemon died before running `after`: the link is still there.
    f.dataplane.add(SPEC, request(1));
    assert.deepEqual(f.store.listPendingLinkDeletions(), []);
    assert.equal(f.store.listAttachments().length, 1);
  });
});

describe("dataplane reconcile", () => {
  test("after a reboot (every netns gone) keeps all attachments: the runtime's GC decides (issue 10, finding 7)", () => {
    const f = lab(5);
    for (let i = 1; i <= 5; i++) f.dataplane.add(SPEC, request(i));
    for (let i = 1; i <= 5; i++) f.kernel.removeNetns(`/run/netns/c${i}`);
    const report = f.dataplane.reconcile(1000, () => {});
    assert.equal(report.staleAttachments, 0);
    assert.equal(f.store.listAttachments().length, 5, "5 of 5 kept");
    // The runtime's GC: its valid list wins.
    const valid = [1, 2, 3].map((i) => ({ containerId: `ctr${i}`, ifname: "eth0" }));
    f.dataplane.gc(SPEC, valid);
    assert.deepEqual(
      f.store.listAttachments().map((a) => a.containerId),
      ["ctr1", "ctr2", "ctr3"],
    );
  });

  test("releases an attachment whose netns vanished once it is older than the long grace", () => {
    const f = lab(2);
    f.dataplane.add(SPEC, request(1));
    f.dataplane.add(SPEC, request(2));
    f.kernel.removeNetns("/run/netns/c1");
    let slept = 0;
    const report = f.dataplane.reconcile(1000, () => void slept++, 0);
    assert.equal(report.staleAttachments, 1);
    assert.equal(slept, 0, "nothing half-made: no second look needed");
    assert.deepEqual(
      f.store.listAttachments().map((a) => a.containerId),
      ["ctr2"],
    );
  });

  test("repairs half-made state only when a second look, grace apart, still finds it", () => {
    const f = lab(2);
    const reserve = (cid: string) =>
      f.dataplane.allocator.allocate({
        network: "net1",
        containerId: cid,
        ifname: "eth0",
        rangeSets: [[{ subnet: "10.9.0.0/29" }]],
        requested: [],
      });
    reserve("dead-add");
    reserve("finishing-add");
    // During the grace the second ADD completes: its reservation gets its attachment.
    const report = f.dataplane.reconcile(1000, () => {
      f.store.putAttachment({
        network: "net1",
        containerId: "finishing-add",
        ifname: "eth0",
        netns: "/run/netns/c2",
        ips: ["10.9.0.3/29"],
        result: {},
      });
    });
    assert.equal(report.orphanReservations, 1);
    assert.deepEqual(
      f.store.listReservations().map((r) => r.containerId),
      ["finishing-add"],
    );
  });

  test("finishes a pending link deletion left by a daemon that died after answering", () => {
    const f = lab();
    f.dataplane.add(SPEC, request(1));
    f.dataplane.delFast(SPEC, { containerId: "ctr1", ifname: "eth0", netnsPath: "/run/netns/c1" }, false);
    const report = f.dataplane.reconcile(0, () => undefined);
    assert.equal(report.pendingDeletions, 1);
    assertNothingLeft(f, "/run/netns/c1");
  });
});
