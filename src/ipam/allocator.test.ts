import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { MemoryStore } from "../store/testing/index.js";
import { type AllocateRequest, Allocator } from "./allocator.js";
import { IpamError, type IpamErrorKind } from "./errors.js";
import type { RangeSet } from "./ranges.js";

const V4: RangeSet = [{ subnet: "10.22.0.0/24" }];
const V6: RangeSet = [{ subnet: "fd00:22::/64" }];

let store: MemoryStore;
let alloc: Allocator;
beforeEach(() => {
  store = new MemoryStore();
  alloc = new Allocator(store);
});

function add(containerId: string, rangeSets: RangeSet[] = [V4], more: Partial<AllocateRequest> = {}): string[] {
  return alloc.allocate({ network: "tnet", containerId, ifname: "eth0", rangeSets, ...more }).map((a) => a.address);
}

function fails(kind: IpamErrorKind, message: RegExp, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IpamError, `expected IpamError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.match(e.message, message);
    return true;
  });
}

describe("Allocator host-local vectors", () => {
  it("vector 4: the first lease is .2 with gateway .1, and lastReserved records it", () => {
    const got = alloc.allocate({ network: "tnet", containerId: "ctr1", ifname: "eth0", rangeSets: [V4] });
    assert.deepEqual(got, [{ address: "10.22.0.2/24", gateway: "10.22.0.1", family: 4, rangeId: "0" }]);
    assert.equal(store.lastReserved("tnet", "0"), "10.22.0.2");
    assert.deepEqual(store.findReservation("tnet", "10.22.0.2")?.containerId, "ctr1");
  });

  it("vector 5: .3 next, a freed address is reused last (.4), and a second ADD is a duplicate", () => {
    assert.deepEqual(add("ctr1"), ["10.22.0.2/24"]);
    assert.deepEqual(add("ctr2"), ["10.22.0.3/24"]);
    assert.equal(alloc.release("tnet", "ctr1", "eth0").length, 1);
    assert.deepEqual(add("ctr3"), ["10.22.0.4/24"]);
    fails("duplicate", /ctr2.*eth0.*10\.22\.0\.3.*duplicate allocation/, () => add("ctr2"));
    assert.equal(store.countReservations("tnet"), 2);
  });

  it("vector 8: dual-stack gives one address per set", () => {
    const got = alloc.allocate({ network: "tnet", containerId: "ctr1", ifname: "eth0", rangeSets: [V4, V6] });
    assert.deepEqual(got, [
      { address: "10.22.0.2/24", gateway: "10.22.0.1", family: 4, rangeId: "0" },
      { address: "fd00:22::2/64", gateway: "fd00:22::1", family: 6, rangeId: "1" },
    ]);
  });

  it("the same container on another ifname gets its own address", () => {
    add("ctr1");
    assert.deepEqual(add("ctr1", [V4], { ifname: "eth1" }), ["10.22.0.3/24"]);
  });

  it("networks are independent", () => {
    add("ctr1");
    assert.deepEqual(add("ctr1", [V4], { network: "other" }), ["10.22.0.2/24"]);
  });
});

describe("Allocator round-robin and ranges", () => {
  it("honours rangeStart/rangeEnd and then reports exhaustion naming network and subnet", () => {
    const set: RangeSet = [{ subnet: "10.0.0.0/24", rangeStart: "10.0.0.100", rangeEnd: "10.0.0.102" }];
    assert.deepEqual(
      ["a", "b", "c"].map((c) => add(c, [set])[0]),
      ["10.0.0.100/24", "10.0.0.101/24", "10.0.0.102/24"],
    );
    fails("exhausted", /no IP addresses available in network "tnet" range set 0 \(subnet "10\.0\.0\.0\/24"\)/, () =>
      add("d", [set]),
    );
  });

  it("a /30 has exactly one address (.2): not network, gateway or broadcast", () => {
    const set: RangeSet = [{ subnet: "10.0.0.0/30" }];
    assert.deepEqual(add("a", [set]), ["10.0.0.2/30"]);
    fails("exhausted", /"tnet".*"10\.0\.0\.0\/30"/, () => add("b", [set]));
    alloc.release("tnet", "a", "eth0");
    assert.deepEqual(add("b", [set]), ["10.0.0.2/30"]);
  });

  it("skips a gateway inside the range and network/broadcast given as range bounds", () => {
    const set: RangeSet = [
      { subnet: "10.0.0.0/29", rangeStart: "10.0.0.0", rangeEnd: "10.0.0.7", gateway: "10.0.0.5" },
    ];
    assert.deepEqual(
      ["a", "b", "c", "d", "e"].map((c) => add(c, [set])[0]),
      ["10.0.0.1/29", "10.0.0.2/29", "10.0.0.3/29", "10.0.0.4/29", "10.0.0.6/29"],
    );
    fails("exhausted", /10\.0\.0\.0\/29/, () => add("f", [set]));
  });

  it("wraps across the ranges of a set and back to range 0, reusing freed addresses last", () => {
    const set: RangeSet = [
      { subnet: "10.0.0.0/24", rangeStart: "10.0.0.10", rangeEnd: "10.0.0.11" },
      { subnet: "10.0.1.0/24", rangeStart: "10.0.1.10", rangeEnd: "10.0.1.11" },
    ];
    assert.deepEqual(
      ["a", "b", "c"].map((c) => add(c, [set])[0]),
      ["10.0.0.10/24", "10.0.0.11/24", "10.0.1.10/24"],
    );
    alloc.release("tnet", "a", "eth0");
    assert.deepEqual(add("d", [set]), ["10.0.1.11/24"]);
    assert.deepEqual(add("e", [set]), ["10.0.0.10/24"]);
    fails("exhausted", /subnets "10\.0\.0\.0\/24", "10\.0\.1\.0\/24"/, () => add("f", [set]));
  });

  it("starts at range 0's start when lastReserved lies outside the set (config changed)", () => {
    store.setLastReserved("tnet", "0", "192.168.9.9");
    assert.deepEqual(add("a"), ["10.22.0.2/24"]);
    store.setLastReserved("tnet", "0", "fd00::1");
    assert.deepEqual(add("b"), ["10.22.0.3/24"]);
  });

  it("continues after lastReserved past a long run of taken addresses", () => {
    for (let i = 2; i < 200; i++)
      store.reserve({ network: "tnet", rangeId: "0", ip: `10.22.0.${i}`, containerId: `x${i}`, ifname: "eth0" });
    assert.deepEqual(add("a"), ["10.22.0.200/24"]);
  });

  it("IPv6 ranges: explicit bounds, canonical text, exhaustion", () => {
    const set: RangeSet = [{ subnet: "fd00:0:0:1::/120", rangeStart: "fd00:0:0:1::10", rangeEnd: "fd00:0:0:1::12" }];
    assert.deepEqual(
      ["a", "b", "c"].map(
        (c) => alloc.allocate({ network: "n6", containerId: c, ifname: "eth0", rangeSets: [set] })[0],
      ),
      ["10", "11", "12"].map((x) => ({
        address: `fd00:0:0:1::${x}/120`,
        gateway: "fd00:0:0:1::1",
        family: 6,
        rangeId: "0",
      })),
    );
    fails("exhausted", /"n6".*"fd00:0:0:1::\/120"/, () =>
      alloc.allocate({ network: "n6", containerId: "d", ifname: "eth0", rangeSets: [set] }),
    );
  });

  it("IPv6 /64 round-robin works with BigInt offsets at the top of the range", () => {
    const set: RangeSet = [{ subnet: "fd00::/64", rangeStart: "fd00::ffff:ffff:ffff:fffe" }];
    assert.deepEqual(add("a", [set]), ["fd00::ffff:ffff:ffff:fffe/64"]);
    assert.deepEqual(add("b", [set]), ["fd00::ffff:ffff:ffff:ffff/64"]);
    fails("exhausted", /"fd00::\/64"/, () => add("c", [set]));
  });
});

describe("Allocator dual-stack is all or nothing", () => {
  it("when the IPv6 set is exhausted, the IPv4 address is not taken either", () => {
    const small6: RangeSet = [{ subnet: "fd00::/120", rangeStart: "fd00::2", rangeEnd: "fd00::3" }];
    add("a", [V4, small6]);
    add("b", [V4, small6]);
    fails("exhausted", /range set 1 \(subnet "fd00::\/120"\)/, () => add("c", [V4, small6]));
    assert.equal(store.countReservations("tnet", "0"), 2);
    assert.equal(store.lastReserved("tnet", "0"), "10.22.0.3");
    assert.deepEqual(alloc.get("tnet", "c", "eth0"), []);
    // The IPv4 address the failed ADD would have had is still the next one handed out.
    alloc.release("tnet", "a", "eth0");
    assert.deepEqual(add("c", [V4, small6]), ["10.22.0.4/24", "fd00::2/120"]);
  });

  it("a duplicate in one set fails the whole ADD", () => {
    // Held from an IPv6-only config, where the IPv6 set was set 0.
    alloc.allocate({ network: "tnet", containerId: "a", ifname: "eth0", rangeSets: [V6] });
    fails("duplicate", /already holds fd00:22::2 in network "tnet" range set 1/, () => add("a", [V4, V6]));
    assert.equal(store.findReservation("tnet", "10.22.0.2"), null);
    assert.equal(store.countReservations("tnet"), 1);
  });
});

describe("Allocator requested IPs", () => {
  it("takes a requested IP (with or without a prefix length) and continues round-robin after it", () => {
    assert.deepEqual(add("a", [V4], { requested: ["10.22.0.50"] }), ["10.22.0.50/24"]);
    assert.equal(store.lastReserved("tnet", "0"), "10.22.0.50");
    assert.deepEqual(add("b"), ["10.22.0.51/24"]);
    assert.deepEqual(add("c", [V4], { requested: ["10.22.0.7/24"] }), ["10.22.0.7/24"]);
  });

  it("places each requested IP in the first set whose ranges contain it", () => {
    assert.deepEqual(add("a", [V4, V6], { requested: ["fd00:22::abcd"] }), ["10.22.0.2/24", "fd00:22::abcd/64"]);
    assert.deepEqual(add("b", [V4, V6], { requested: ["fd00:22:0:0::abce", "10.22.0.9"] }), [
      "10.22.0.9/24",
      "fd00:22::abce/64",
    ]);
  });

  it("a taken requested IP is unavailable, naming who holds it", () => {
    add("a", [V4], { requested: ["10.22.0.50"] });
    fails(
      "requested-unavailable",
      /"10\.22\.0\.50" is already reserved by container "a" ifname "eth0" in network "tnet"/,
      () => add("b", [V4], { requested: ["10.22.0.50"] }),
    );
  });

  it("the gateway is unavailable", () => {
    fails("requested-unavailable", /"10\.22\.0\.1" is the gateway of subnet "10\.22\.0\.0\/24"/, () =>
      add("a", [V4], { requested: ["10.22.0.1"] }),
    );
  });

  it("an IP outside every range, or outside rangeStart..rangeEnd, is out of range", () => {
    fails(
      "requested-out-of-range",
      /"10\.99\.0\.5" is not in any configured range \(10\.22\.0\.0\/24 10\.22\.0\.1-10\.22\.0\.254\)/,
      () => add("a", [V4], { requested: ["10.99.0.5"] }),
    );
    const narrow: RangeSet = [{ subnet: "10.22.0.0/24", rangeStart: "10.22.0.100" }];
    fails("requested-out-of-range", /"10\.22\.0\.5"/, () => add("a", [narrow], { requested: ["10.22.0.5"] }));
    fails("requested-out-of-range", /"10\.22\.0\.255"/, () => add("a", [V4], { requested: ["10.22.0.255"] }));
    fails("requested-out-of-range", /"nope" is not a valid IP address/, () => add("a", [V4], { requested: ["nope"] }));
  });

  it("two requested IPs for one set are refused", () => {
    fails("requested-unavailable", /range set 0 already gets requested IP "10\.22\.0\.5"/, () =>
      add("a", [V4], { requested: ["10.22.0.5", "10.22.0.6"] }),
    );
  });

  it("a failing requested IP in the IPv6 set leaves the IPv4 set untouched", () => {
    add("holder", [V4, V6], { requested: ["fd00:22::5"] });
    fails("requested-unavailable", /fd00:22::5/, () => add("a", [V4, V6], { requested: ["10.22.0.5", "fd00:22::5"] }));
    assert.equal(store.findReservation("tnet", "10.22.0.5"), null);
    assert.equal(store.lastReserved("tnet", "0"), "10.22.0.2");
  });
});

describe("Allocator release, get, usage, invalid input", () => {
  it("get() returns what was handed out; release() frees it and returns the reservations", () => {
    const got = alloc.allocate({ network: "tnet", containerId: "a", ifname: "eth0", rangeSets: [V4, V6] });
    assert.deepEqual(alloc.get("tnet", "a", "eth0"), got);
    const freed = alloc.release("tnet", "a", "eth0");
    assert.deepEqual(
      freed.map((r) => r.ip),
      ["10.22.0.2", "fd00:22::2"],
    );
    assert.deepEqual(alloc.get("tnet", "a", "eth0"), []);
    assert.deepEqual(alloc.release("tnet", "a", "eth0"), []);
  });

  it("get() of a reservation without prefix data reports a host prefix", () => {
    store.reserve({ network: "tnet", rangeId: "0", ip: "10.22.0.9", containerId: "legacy", ifname: "eth0" });
    assert.deepEqual(alloc.get("tnet", "legacy", "eth0"), [{ address: "10.22.0.9/32", family: 4, rangeId: "0" }]);
  });

  it("usage() reports capacity and use per set", () => {
    add("a", [V4, V6]);
    add("b", [V4]);
    assert.deepEqual(alloc.usage("tnet", [V4, [{ subnet: "fd00:22::/120" }]]), [
      { rangeId: "0", subnets: ["10.22.0.0/24"], capacity: 253, used: 2 },
      { rangeId: "1", subnets: ["fd00:22::/120"], capacity: 254, used: 1 },
    ]);
  });

  it("invalid ranges fail with kind invalid-range and reserve nothing", () => {
    fails("invalid-range", /range 0: subnet "10\.22\.0\.1\/24" has host bits set/, () =>
      add("a", [[{ subnet: "10.22.0.1/24" }]]),
    );
    assert.equal(store.countReservations("tnet"), 0);
  });

  it("IpamError is an Error with a name", () => {
    const e = new IpamError("exhausted", "x");
    assert.ok(e instanceof Error);
    assert.equal(e.name, "IpamError");
  });
});
