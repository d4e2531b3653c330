import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIp, formatMac, ipv4Broadcast, parseCidr, parseIp, parseMac } from "./ip.js";

describe("ip", () => {
  it("parses and formats IPv4", () => {
    const ip = parseIp("10.1.2.3");
    assert.equal(ip.family, 4);
    assert.deepEqual(ip.bytes, Buffer.from([10, 1, 2, 3]));
    assert.equal(formatIp(ip.bytes), "10.1.2.3");
  });

  it("formats IPv6 the way iproute2 prints it (RFC 5952)", () => {
    const cases: [string, string][] = [
      ["fd00:0:0:0:0:0:0:1", "fd00::1"],
      ["::", "::"],
      ["::1", "::1"],
      ["fe80::a:0:0:1", "fe80::a:0:0:1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:DB8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
      ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
      ["fd00::", "fd00::"],
    ];
    for (const [input, want] of cases) {
      const ip = parseIp(input);
      assert.equal(ip.family, 6, input);
      assert.equal(formatIp(ip.bytes), want, input);
    }
  });

  it("rejects what is not an address", () => {
    for (const bad of ["", "10.0.0", "10.0.0.256", "fe80::1%eth0", "x::1", "1.2.3.4/24"]) {
      assert.throws(() => parseIp(bad), TypeError, bad);
    }
  });

  it("parses CIDRs, defaulting to a host prefix", () => {
    assert.equal(parseCidr("10.0.0.2/24").prefixLen, 24);
    assert.equal(parseCidr("10.0.0.2").prefixLen, 32);
    assert.equal(parseCidr("fd00::2").prefixLen, 128);
    assert.equal(parseCidr("0.0.0.0/0").prefixLen, 0);
    assert.throws(() => parseCidr("10.0.0.2/33"), TypeError);
    assert.throws(() => parseCidr("fd00::/129"), TypeError);
    assert.throws(() => parseCidr("10.0.0.2/x"), TypeError);
  });

  it("computes IPv4 broadcast addresses", () => {
    assert.equal(formatIp(ipv4Broadcast(parseCidr("10.1.2.3/24"))), "10.1.2.255");
    assert.equal(formatIp(ipv4Broadcast(parseCidr("10.1.2.3/30"))), "10.1.2.3");
    assert.equal(formatIp(ipv4Broadcast(parseCidr("10.1.2.3/0"))), "255.255.255.255");
  });

  it("parses and formats MAC addresses", () => {
    assert.deepEqual(parseMac("02:AB:cd:00:01:ff"), Buffer.from([2, 0xab, 0xcd, 0, 1, 0xff]));
    assert.equal(formatMac(Buffer.from([2, 0xab, 0xcd, 0, 1, 0xff])), "02:ab:cd:00:01:ff");
    assert.throws(() => parseMac("02:ab:cd:00:01"), TypeError);
  });
});
