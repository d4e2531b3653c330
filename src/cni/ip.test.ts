import assert from "node:assert/strict";
import { test } from "node:test";
import { cidrContains, cidrFamily, ipFamily, isMac, isNetworkCidr } from "./ip.js";

test("ipFamily accepts dotted quads and IPv6 only, like Go's ParseIP", () => {
  assert.equal(ipFamily("10.0.0.1"), 4);
  assert.equal(ipFamily("fd00::1"), 6);
  assert.equal(ipFamily("::ffff:10.0.0.1"), 4);
  for (const bad of ["10", "010.0.0.1", "0x0a.0.0.1", "10.0.0", "fe80::1%eth0", "", "10.0.0.256"]) {
    assert.equal(ipFamily(bad), null, bad);
  }
});

test("cidrFamily checks the prefix length per family", () => {
  assert.equal(cidrFamily("10.0.0.0/32"), 4);
  assert.equal(cidrFamily("10.0.0.0/33"), null);
  assert.equal(cidrFamily("fd00::/128"), 6);
  assert.equal(cidrFamily("fd00::/129"), null);
  assert.equal(cidrFamily("10.0.0.0"), null);
  assert.equal(cidrFamily("10.0.0.0/"), null);
  assert.equal(cidrFamily("10.0.0.0/-1"), null);
});

test("isNetworkCidr refuses host bits", () => {
  assert.ok(isNetworkCidr("10.22.0.0/24"));
  assert.ok(!isNetworkCidr("10.22.0.5/24"));
  assert.ok(isNetworkCidr("fd00:22::/64"));
  assert.ok(!isNetworkCidr("fd00:22::1/64"));
  assert.ok(isNetworkCidr("0.0.0.0/0"));
});

test("cidrContains and isMac", () => {
  assert.ok(cidrContains("10.0.0.0/24", "10.0.0.1"));
  assert.ok(!cidrContains("10.0.0.0/24", "10.0.1.1"));
  assert.ok(!cidrContains("10.0.0.0/24", "fd00::1"));
  assert.ok(isMac("c2:11:22:33:44:55"));
  assert.ok(!isMac("c2-11-22-33-44-55"));
});
