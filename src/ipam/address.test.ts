import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { formatIp, lastOf, networkOf, tryParseCidr, tryParseIp } from "./address.js";

describe("tryParseIp()", () => {
  it("parses dotted quads and IPv6 into (family, bigint)", () => {
    assert.deepEqual(tryParseIp("10.1.2.3"), { family: 4, value: 0x0a010203n });
    assert.deepEqual(tryParseIp("fd00::1"), { family: 6, value: (0xfd00n << 112n) + 1n });
    assert.deepEqual(tryParseIp("::"), { family: 6, value: 0n });
  });

  it("rejects what would give one address two spellings or is not an address", () => {
    for (const bad of ["10.1", "010.0.0.1", "10.0.0.256", "0x0a.0.0.1", "fe80::1%eth0", "", "fd00::/64", "a.b.c.d"]) {
      assert.equal(tryParseIp(bad), null, bad);
    }
  });
});

describe("tryParseCidr()", () => {
  it("parses ip/len and rejects bad lengths", () => {
    assert.deepEqual(tryParseCidr("10.0.0.0/8"), { ip: { family: 4, value: 0x0a000000n }, prefixLength: 8 });
    assert.equal(tryParseCidr("fd00::/128")?.prefixLength, 128);
    for (const bad of [
      "10.0.0.0",
      "10.0.0.0/33",
      "10.0.0.0/-1",
      "10.0.0.0/",
      "fd00::/129",
      "10.0.0.0/8/8",
      "10.0.0.0/ 8",
    ]) {
      assert.equal(tryParseCidr(bad), null, bad);
    }
  });
});

describe("networkOf() and lastOf()", () => {
  it("clear and set host bits", () => {
    const ip = tryParseIp("10.1.2.3")!;
    assert.equal(formatIp({ family: 4, value: networkOf(ip, 16) }), "10.1.0.0");
    assert.equal(formatIp({ family: 4, value: lastOf(ip, 16) }), "10.1.255.255");
    const v6 = tryParseIp("fd00::1:2")!;
    assert.equal(formatIp({ family: 6, value: lastOf(v6, 64) }), "fd00::ffff:ffff:ffff:ffff");
  });
});

describe("formatIp()", () => {
  it("follows RFC 5952", () => {
    const f = (t: string) => formatIp(tryParseIp(t)!);
    assert.equal(f("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    assert.equal(f("2001:0db8:0000:0001:0001:0001:0001:0001"), "2001:db8:0:1:1:1:1:1");
    assert.equal(f("0:0:0:0:0:0:0:0"), "::");
    assert.equal(f("FD00:0:0:0:0:0:0:0"), "fd00::");
    assert.equal(f("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(f("255.255.255.255"), "255.255.255.255");
  });

  it("matches ipaddr.js for any address (so parse → format is the one canonical key)", () => {
    const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    });
    fc.assert(
      fc.property(groups, (g) => {
        const addr = new ipaddr.IPv6(g);
        const value = g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
        assert.equal(formatIp({ family: 6, value }), addr.toString());
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        assert.equal(
          formatIp({ family: 4, value: BigInt(n) }),
          ipaddr.fromByteArray([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString(),
        );
      }),
    );
  });
});
