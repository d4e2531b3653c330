import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IpamError } from "./errors.js";
import { capacityOf, parseRangeSets, type RangeSet } from "./ranges.js";

function rejects(sets: RangeSet[], message: string): void {
  assert.throws(
    () => parseRangeSets(sets),
    (e: unknown) => {
      assert.ok(e instanceof IpamError, `expected IpamError, got ${String(e)}`);
      assert.equal(e.kind, "invalid-range");
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe("parseRangeSets() defaults", () => {
  it("fills gateway, rangeStart and rangeEnd like host-local (IPv4: broadcast-1)", () => {
    const [set] = parseRangeSets([[{ subnet: "10.22.0.0/24" }]]);
    const r = set!.ranges[0]!;
    assert.equal(set!.id, "0");
    assert.equal(set!.family, 4);
    assert.equal(r.subnet, "10.22.0.0/24");
    assert.equal(r.prefixLength, 24);
    assert.equal(r.gateway, 0x0a160001n);
    assert.equal(r.start, 0x0a160001n);
    assert.equal(r.end, 0x0a1600fen);
    assert.equal(capacityOf(set!), 253n);
  });

  it("IPv6: rangeEnd defaults to the last address and values go beyond 2^53", () => {
    const [set] = parseRangeSets([[{ subnet: "fd00:22::/64" }]]);
    const r = set!.ranges[0]!;
    assert.equal(set!.family, 6);
    assert.equal(r.end - r.network, (1n << 64n) - 1n);
    assert.equal(capacityOf(set!), (1n << 64n) - 2n); // minus network and gateway
  });

  it("keeps explicit values and canonicalises the subnet text", () => {
    const [set] = parseRangeSets([
      [{ subnet: "FD00:0::/120", rangeStart: "fd00::10", rangeEnd: "fd00::20", gateway: "fd00::fe" }],
    ]);
    const r = set!.ranges[0]!;
    assert.equal(r.subnet, "fd00::/120");
    assert.equal(r.start - r.network, 0x10n);
    assert.equal(r.end - r.network, 0x20n);
    assert.equal(r.gateway - r.network, 0xfen);
    assert.equal(capacityOf(set!), 17n);
  });

  it("accepts a /30 and /126, dual-stack sets, and disjoint ranges within one subnet", () => {
    assert.equal(capacityOf(parseRangeSets([[{ subnet: "10.0.0.0/30" }]])[0]!), 1n);
    assert.equal(capacityOf(parseRangeSets([[{ subnet: "fd00::/126" }]])[0]!), 2n);
    const sets = parseRangeSets([
      [
        { subnet: "10.0.0.0/24", rangeStart: "10.0.0.10", rangeEnd: "10.0.0.19" },
        { subnet: "10.0.0.0/24", rangeStart: "10.0.0.20", rangeEnd: "10.0.0.29" },
      ],
      [{ subnet: "fd00::/64" }],
    ]);
    assert.deepEqual(
      sets.map((s) => s.id),
      ["0", "1"],
    );
  });
});

describe("parseRangeSets() validation messages", () => {
  const cases: [string, RangeSet[], string][] = [
    ["no sets", [], "at least one range set is required"],
    ["empty set", [[]], "range set 0 is empty"],
    ["missing subnet", [[{} as never]], "range 0: subnet is required"],
    ["non-string subnet", [[{ subnet: 10 as never }]], "range 0: subnet must be a string, got 10"],
    ["bad CIDR", [[{ subnet: "10.0.0.0" }]], 'range 0: subnet "10.0.0.0" is not a valid CIDR'],
    ["bad prefix", [[{ subnet: "10.0.0.0/33" }]], 'range 0: subnet "10.0.0.0/33" is not a valid CIDR'],
    ["octal-ish IPv4", [[{ subnet: "010.0.0.0/8" }]], 'range 0: subnet "010.0.0.0/8" is not a valid CIDR'],
    [
      "host bits",
      [[{ subnet: "10.1.1.5/16" }]],
      'range 0: subnet "10.1.1.5/16" has host bits set (did you mean "10.1.0.0/16"?)',
    ],
    ["/31", [[{ subnet: "10.0.0.0/31" }]], 'range 0: subnet "10.0.0.0/31" is too small to allocate from'],
    ["/32", [[{ subnet: "10.0.0.1/32" }]], 'range 0: subnet "10.0.0.1/32" is too small to allocate from'],
    ["/127", [[{ subnet: "fd00::/127" }]], 'range 0: subnet "fd00::/127" is too small to allocate from'],
    ["/128", [[{ subnet: "fd00::1/128" }]], 'range 0: subnet "fd00::1/128" is too small to allocate from'],
    [
      "rangeStart outside",
      [[{ subnet: "10.2.0.0/16", rangeStart: "10.1.1.5" }]],
      'range 0: rangeStart "10.1.1.5" is outside subnet "10.2.0.0/16"',
    ],
    [
      "rangeEnd outside",
      [[{ subnet: "10.2.0.0/16", rangeEnd: "10.3.0.1" }]],
      'range 0: rangeEnd "10.3.0.1" is outside subnet "10.2.0.0/16"',
    ],
    [
      "gateway outside",
      [[{ subnet: "10.2.0.0/16", gateway: "10.9.0.1" }]],
      'range 0: gateway "10.9.0.1" is outside subnet "10.2.0.0/16"',
    ],
    [
      "gateway of the other family",
      [[{ subnet: "10.2.0.0/16", gateway: "fd00::1" }]],
      'range 0: gateway "fd00::1" is outside subnet "10.2.0.0/16"',
    ],
    [
      "malformed rangeStart",
      [[{ subnet: "10.2.0.0/16", rangeStart: "10.2.0" }]],
      'range 0: rangeStart "10.2.0" is not a valid IP address',
    ],
    [
      "non-string gateway",
      [[{ subnet: "10.2.0.0/16", gateway: null as never }]],
      "range 0: gateway must be a string, got null",
    ],
    [
      "start after end",
      [[{ subnet: "10.2.0.0/16", rangeStart: "10.2.0.9", rangeEnd: "10.2.0.5" }]],
      'range 0: rangeStart "10.2.0.9" is after rangeEnd "10.2.0.5" in subnet "10.2.0.0/16"',
    ],
    [
      "mixed families in a set",
      [[{ subnet: "10.2.0.0/16" }, { subnet: "fd00::/64" }]],
      'range 1: subnet "fd00::/64" is IPv6 but range 0 is IPv4; a range set holds one family',
    ],
    [
      "overlap within a set",
      [[{ subnet: "10.2.0.0/16" }, { subnet: "10.2.1.0/24" }]],
      "range 1: 10.2.1.1-10.2.1.254 overlaps range 0 (10.2.0.1-10.2.255.254)",
    ],
    [
      "overlap between sets",
      [[{ subnet: "10.2.0.0/16" }], [{ subnet: "10.3.0.0/24" }, { subnet: "10.2.0.0/24", rangeStart: "10.2.0.200" }]],
      "range set 1, range 1: 10.2.0.200-10.2.0.254 overlaps range set 0, range 0 (10.2.0.1-10.2.255.254)",
    ],
    [
      "error in a later set is labelled with the set",
      [[{ subnet: "10.2.0.0/16" }], [{ subnet: "fd00::1/64" }]],
      'range set 1, range 0: subnet "fd00::1/64" has host bits set (did you mean "fd00::/64"?)',
    ],
    ["empty later set", [[{ subnet: "10.2.0.0/16" }], []], "range set 1 is empty"],
  ];
  for (const [name, sets, message] of cases) {
    it(`rejects ${name}`, () => rejects(sets, message));
  }
});
