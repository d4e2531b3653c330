// The one behavioural contract every Store backend must meet. Each backend's test file calls
// runStoreContract with a factory; nothing here knows which backend it is talking to.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Reservation, Store } from "../types.js";

export interface StoreFixture {
  store: Store;
  /** Closes the store if still open and removes anything the factory created. */
  dispose(): void;
}

const r = (ip: string, containerId = "c1", ifname = "eth0", network = "n1", rangeId = "0"): Reservation => ({
  network,
  rangeId,
  ip,
  containerId,
  ifname,
});

export function runStoreContract(backend: string, open: () => StoreFixture): void {
  describe(`${backend} store contract`, () => {
    let fx: StoreFixture;
    let s: Store;
    beforeEach(() => {
      fx = open();
      s = fx.store;
    });
    afterEach(() => fx.dispose());

    describe("reservations", () => {
      it("reserve() claims an ip once per network", () => {
        assert.equal(s.reserve(r("10.0.0.2")), true);
        assert.equal(s.reserve(r("10.0.0.2", "other")), false);
        assert.equal(s.reserve(r("10.0.0.2", "c1", "eth0", "n2")), true);
        assert.equal(s.countReservations("n1"), 1);
      });

      it("getById() and releaseById() return the owner's reservations ordered by ip", () => {
        s.reserve(r("10.0.0.3", "c1", "eth0", "n1", "0"));
        s.reserve(r("fd00::2", "c1", "eth0", "n1", "1"));
        s.reserve(r("10.0.0.2", "c2"));
        s.reserve(r("10.0.0.4", "c1", "eth1"));
        assert.deepEqual(s.getById("n1", "c1", "eth0"), [r("10.0.0.3"), r("fd00::2", "c1", "eth0", "n1", "1")]);
        assert.deepEqual(s.releaseById("n1", "c1", "eth0"), [r("10.0.0.3"), r("fd00::2", "c1", "eth0", "n1", "1")]);
        assert.deepEqual(s.getById("n1", "c1", "eth0"), []);
        assert.deepEqual(s.releaseById("n1", "c1", "eth0"), []);
        assert.deepEqual(
          s.listReservations().map((x) => x.ip),
          ["10.0.0.2", "10.0.0.4"],
        );
      });

      it("keeps prefixLength and gateway when given and omits them when not", () => {
        s.reserve({ ...r("10.0.0.2"), prefixLength: 24, gateway: "10.0.0.1" });
        s.reserve(r("10.0.0.3", "c2"));
        assert.deepEqual(s.findReservation("n1", "10.0.0.2"), {
          ...r("10.0.0.2"),
          prefixLength: 24,
          gateway: "10.0.0.1",
        });
        assert.deepEqual(s.findReservation("n1", "10.0.0.3"), r("10.0.0.3", "c2"));
        assert.equal(s.findReservation("n1", "10.0.0.4"), null);
        assert.equal(s.findReservation("n2", "10.0.0.2"), null);
      });

      it("listReservations() orders by network then ip and filters by network", () => {
        s.reserve(r("10.0.0.9", "a", "eth0", "n2"));
        s.reserve(r("10.0.0.5", "b", "eth0", "n1"));
        s.reserve(r("10.0.0.1", "c", "eth0", "n2"));
        assert.deepEqual(
          s.listReservations().map((x) => `${x.network}/${x.ip}`),
          ["n1/10.0.0.5", "n2/10.0.0.1", "n2/10.0.0.9"],
        );
        assert.deepEqual(
          s.listReservations("n2").map((x) => x.ip),
          ["10.0.0.1", "10.0.0.9"],
        );
        assert.deepEqual(s.listReservations("none"), []);
      });

      it("filterReserved() returns only the taken candidates of that network", () => {
        s.reserve(r("10.0.0.2"));
        s.reserve(r("10.0.0.4"));
        s.reserve(r("10.0.0.3", "x", "eth0", "n2"));
        assert.deepEqual(s.filterReserved("n1", ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]).sort(), [
          "10.0.0.2",
          "10.0.0.4",
        ]);
        assert.deepEqual(s.filterReserved("n1", []), []);
        assert.deepEqual(s.filterReserved("n1", ["10.0.0.2", "10.0.0.2"]), ["10.0.0.2"]);
      });

      it("countReservations() counts per network and per range set", () => {
        s.reserve(r("10.0.0.2", "a", "eth0", "n1", "0"));
        s.reserve(r("fd00::2", "a", "eth0", "n1", "1"));
        s.reserve(r("10.0.0.3", "b", "eth0", "n1", "0"));
        s.reserve(r("10.0.0.3", "b", "eth0", "n2", "0"));
        assert.equal(s.countReservations("n1"), 3);
        assert.equal(s.countReservations("n1", "0"), 2);
        assert.equal(s.countReservations("n1", "1"), 1);
        assert.equal(s.countReservations("n3"), 0);
      });

      it("countReservedBetween() counts by address order within a family, not by text", () => {
        for (const ip of ["10.0.0.2", "10.0.0.9", "10.0.0.10", "10.0.1.0", "fd00::5", "::ffff:a00:5"])
          s.reserve(r(ip, ip));
        s.reserve(r("10.0.0.5", "x", "eth0", "n2"));
        assert.equal(s.countReservedBetween("n1", "10.0.0.0", "10.0.0.255"), 3);
        assert.equal(s.countReservedBetween("n1", "10.0.0.3", "10.0.0.10"), 2);
        assert.equal(s.countReservedBetween("n1", "10.0.0.10", "10.0.0.10"), 1);
        assert.equal(s.countReservedBetween("n1", "0.0.0.0", "255.255.255.255"), 4);
        assert.equal(s.countReservedBetween("n1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 2);
        assert.equal(s.countReservedBetween("n1", "fd00::", "fd00::4"), 0);
        assert.equal(s.countReservedBetween("n2", "10.0.0.0", "10.0.0.255"), 1);
      });

      it("reserve() refuses an ip that is not an address", () => {
        assert.throws(() => s.reserve(r("not-an-ip")), /reservation ip "not-an-ip" is not an IP address/);
        assert.equal(s.countReservations("n1"), 0);
      });

      it("lastReserved() is per (network, rangeId) and setLastReserved() overwrites", () => {
        assert.equal(s.lastReserved("n1", "0"), null);
        s.setLastReserved("n1", "0", "10.0.0.2");
        s.setLastReserved("n1", "0", "10.0.0.3");
        s.setLastReserved("n1", "1", "fd00::2");
        assert.equal(s.lastReserved("n1", "0"), "10.0.0.3");
        assert.equal(s.lastReserved("n1", "1"), "fd00::2");
        assert.equal(s.lastReserved("n2", "0"), null);
      });

      it("returned reservations are copies", () => {
        s.reserve(r("10.0.0.2"));
        s.getById("n1", "c1", "eth0")[0]!.ip = "mutated";
        assert.equal(s.listReservations()[0]!.ip, "10.0.0.2");
      });
    });

    describe("transaction()", () => {
      it("commits and returns fn's value", () => {
        const out = s.transaction(() => {
          s.reserve(r("10.0.0.2"));
          s.setLastReserved("n1", "0", "10.0.0.2");
          return 42;
        });
        assert.equal(out, 42);
        assert.equal(s.countReservations("n1"), 1);
        assert.equal(s.lastReserved("n1", "0"), "10.0.0.2");
      });

      it("rolls back every kind of write when fn throws, and rethrows the same error", () => {
        s.reserve(r("10.0.0.9", "keep"));
        const boom = new Error("boom");
        assert.throws(
          () =>
            s.transaction(() => {
              s.reserve(r("10.0.0.2"));
              s.releaseById("n1", "keep", "eth0");
              s.setLastReserved("n1", "0", "10.0.0.2");
              s.putAttachment({ network: "n1", containerId: "c1", ifname: "eth0", netns: "/x", ips: [], result: {} });
              s.putNetwork({ name: "n1", spec: {} });
              s.addPendingLinkDeletion({ netns: "/x", ifname: "eth0", network: "n1", containerId: "c1" });
              throw boom;
            }),
          (e) => e === boom,
        );
        assert.deepEqual(
          s.listReservations().map((x) => x.ip),
          ["10.0.0.9"],
        );
        assert.equal(s.lastReserved("n1", "0"), null);
        assert.deepEqual(s.listAttachments(), []);
        assert.deepEqual(s.listNetworks(), []);
        assert.deepEqual(s.listPendingLinkDeletions(), []);
      });

      it("nests: an inner throw caught by the outer fn undoes only the inner work", () => {
        s.transaction(() => {
          s.reserve(r("10.0.0.2"));
          assert.throws(() =>
            s.transaction(() => {
              s.reserve(r("10.0.0.3"));
              throw new Error("inner");
            }),
          );
          s.transaction(() => s.reserve(r("10.0.0.4")));
        });
        assert.deepEqual(
          s.listReservations().map((x) => x.ip),
          ["10.0.0.2", "10.0.0.4"],
        );
      });

      it("nests: an outer throw undoes inner work that had completed", () => {
        assert.throws(() =>
          s.transaction(() => {
            s.transaction(() => s.reserve(r("10.0.0.2")));
            throw new Error("outer");
          }),
        );
        assert.equal(s.countReservations("n1"), 0);
      });

      it("refuses an async callback and commits nothing", () => {
        assert.throws(
          () =>
            s.transaction(() => {
              s.reserve(r("10.0.0.2"));
              return Promise.resolve();
            }),
          /must be synchronous/,
        );
        assert.equal(s.countReservations("n1"), 0);
      });
    });

    describe("attachments", () => {
      const att = { network: "n1", containerId: "c1", ifname: "eth0", netns: "/run/netns/c1" };

      it("put/get round-trips JSON result and ips, with createdAt defaulted to an ISO time", () => {
        const put = s.putAttachment({ ...att, hostIfname: "veth12", ips: ["10.0.0.2/24"], result: { ips: [1, "a"] } });
        assert.match(put.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.deepEqual(s.getAttachment("n1", "c1", "eth0"), put);
        assert.deepEqual(put.result, { ips: [1, "a"] });
        assert.equal(put.hostIfname, "veth12");
      });

      it("keeps the pod identity; an attachment without one has no pod key", () => {
        const pod = { namespace: "kube-system", name: "coredns-0", uid: "a1b2", infraContainerId: "c1" };
        const put = s.putAttachment({ ...att, ips: [], result: {}, pod });
        assert.deepEqual(put.pod, pod);
        assert.deepEqual(s.listAttachments()[0]?.pod, pod);
        s.putAttachment({ ...att, containerId: "c2", ips: [], result: {}, pod: { namespace: "ns", name: "p" } });
        assert.deepEqual(s.getAttachment("n1", "c2", "eth0")?.pod, { namespace: "ns", name: "p" });
        s.putAttachment({ ...att, containerId: "c3", ips: [], result: {} });
        assert.equal("pod" in (s.getAttachment("n1", "c3", "eth0") ?? {}), false);
      });

      it("omits hostIfname when absent, and put replaces by key", () => {
        s.putAttachment({ ...att, ips: ["10.0.0.2/24"], result: null, createdAt: "2024-01-01T00:00:00.000Z" });
        s.putAttachment({ ...att, ips: ["10.0.0.3/24"], result: null, createdAt: "2024-01-02T00:00:00.000Z" });
        const got = s.getAttachment("n1", "c1", "eth0");
        assert.deepEqual(got, { ...att, ips: ["10.0.0.3/24"], result: null, createdAt: "2024-01-02T00:00:00.000Z" });
        assert.equal("hostIfname" in (got ?? {}), false);
        assert.equal(s.listAttachments().length, 1);
      });

      it("delete reports whether something was deleted; list orders and filters", () => {
        s.putAttachment({ ...att, network: "n2", containerId: "b", ips: [], result: {} });
        s.putAttachment({ ...att, containerId: "z", ips: [], result: {} });
        s.putAttachment({ ...att, containerId: "a", ips: [], result: {} });
        assert.deepEqual(
          s.listAttachments().map((a) => `${a.network}/${a.containerId}`),
          ["n1/a", "n1/z", "n2/b"],
        );
        assert.deepEqual(
          s.listAttachments("n2").map((a) => a.containerId),
          ["b"],
        );
        assert.equal(s.deleteAttachment("n1", "z", "eth0"), true);
        assert.equal(s.deleteAttachment("n1", "z", "eth0"), false);
        assert.equal(s.getAttachment("n1", "z", "eth0"), null);
      });
    });

    describe("networks", () => {
      it("put/get/list/delete", () => {
        s.putNetwork({ name: "b", spec: { subnet: "10.0.0.0/24" } });
        const a = s.putNetwork({ name: "a", spec: [1, 2], createdAt: "2024-01-01T00:00:00.000Z" });
        assert.deepEqual(a, { name: "a", spec: [1, 2], createdAt: "2024-01-01T00:00:00.000Z" });
        assert.deepEqual(s.getNetwork("b")?.spec, { subnet: "10.0.0.0/24" });
        assert.deepEqual(
          s.listNetworks().map((n) => n.name),
          ["a", "b"],
        );
        s.putNetwork({ name: "a", spec: "replaced" });
        assert.equal(s.getNetwork("a")?.spec, "replaced");
        assert.equal(s.deleteNetwork("a"), true);
        assert.equal(s.deleteNetwork("a"), false);
        assert.equal(s.getNetwork("a"), null);
      });
    });

    describe("pending link deletions", () => {
      it("add assigns increasing ids; list is oldest first; remove reports success", () => {
        const p1 = s.addPendingLinkDeletion({
          netns: "/run/netns/a",
          ifname: "eth0",
          hostIfname: "veth1",
          network: "n1",
          containerId: "a",
        });
        const p2 = s.addPendingLinkDeletion({ netns: "/run/netns/b", ifname: "eth0", network: "n1", containerId: "b" });
        assert.ok(p2.id > p1.id);
        assert.equal(p1.hostIfname, "veth1");
        assert.equal("hostIfname" in p2, false);
        assert.deepEqual(s.listPendingLinkDeletions(), [p1, p2]);
        assert.equal(s.removePendingLinkDeletion(p1.id), true);
        assert.equal(s.removePendingLinkDeletion(p1.id), false);
        assert.deepEqual(s.listPendingLinkDeletions(), [p2]);
      });
    });

    describe("meta", () => {
      it("set/get/replace/delete, and a rolled-back set leaves nothing", () => {
        assert.equal(s.getMeta("fw:n1"), null);
        s.setMeta("fw:n1", "m1");
        s.setMeta("fw:n1", "m2");
        assert.equal(s.getMeta("fw:n1"), "m2");
        assert.throws(() =>
          s.transaction(() => {
            s.setMeta("fw:n2", "x");
            throw new Error("abort");
          }),
        );
        assert.equal(s.getMeta("fw:n2"), null);
        assert.equal(s.deleteMeta("fw:n1"), true);
        assert.equal(s.deleteMeta("fw:n1"), false);
        assert.equal(s.getMeta("fw:n1"), null);
      });
    });

    describe("close()", () => {
      it("makes later calls throw and may be called twice", () => {
        s.close();
        s.close();
        assert.throws(() => s.listReservations(), /closed/);
        assert.throws(() => s.transaction(() => 1), /closed/);
      });
    });
  });
}
