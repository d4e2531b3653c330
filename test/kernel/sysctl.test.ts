// Sysctls inside a private netns, checked with `ip netns exec NAME cat /proc/sys/...`; the
// machine's own values must not move.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { KernelError, NetnsNotFoundError, readSysctl, writeSysctl } from "../../src/kernel/index.js";
import { nsExec, withTestNetns } from "../helpers/netns.js";
import { needsRoot } from "./pair.js";

const machine = (key: string) => readFileSync(`/proc/sys/${key}`, "utf8").trim();
const inNs = (ns: string, key: string) => nsExec(ns, "cat", [`/proc/sys/${key}`]).trim();

describe("sysctl", { skip: needsRoot }, () => {
  it("reads and writes net/ipv4/ip_forward inside the netns only", () =>
    withTestNetns(1, ([ns]) => {
      assert.ok(ns);
      const key = "net/ipv4/ip_forward";
      const before = machine(key);
      const start = readSysctl(key, ns.path);
      assert.equal(start, inNs(ns.name, key));
      const flipped = start === "1" ? "0" : "1";
      writeSysctl(key, flipped, ns.path);
      assert.equal(inNs(ns.name, key), flipped);
      assert.equal(readSysctl(key, ns.path), flipped);
      assert.equal(machine(key), before, "the machine's own ip_forward is untouched");
      writeSysctl(key, start, ns.path);
      assert.equal(inNs(ns.name, key), start);
      assert.equal(machine(key), before);
    }));

  it("per-interface keys and IPv6 keys live in the netns", () =>
    withTestNetns(1, ([ns]) => {
      assert.ok(ns);
      const key = "net/ipv6/conf/lo/disable_ipv6";
      const before = machine(key);
      const start = readSysctl(key, ns.path);
      writeSysctl(key, start === "1" ? "0" : "1", ns.path);
      assert.equal(inNs(ns.name, key), start === "1" ? "0" : "1");
      assert.equal(machine(key), before);
    }));

  it("reads the caller's own netns when no path is given (read only)", () => {
    assert.equal(readSysctl("net/ipv4/ip_forward"), machine("net/ipv4/ip_forward"));
  });

  it("errors: unknown key, refused value, bad key, missing netns", () =>
    withTestNetns(1, ([ns]) => {
      assert.ok(ns);
      assert.throws(
        () => readSysctl("net/ipv4/qk_no_such_key", ns.path),
        (e: unknown) =>
          e instanceof KernelError && e.code === "ENOENT" && e.message.includes("net/ipv4/qk_no_such_key"),
      );
      assert.throws(
        () => writeSysctl("net/ipv4/ip_forward", "not-a-number", ns.path),
        (e: unknown) => e instanceof KernelError && e.code === "EINVAL",
      );
      for (const bad of ["/etc/passwd", "net/../../etc/passwd", "", "net//ipv4"]) {
        assert.throws(() => readSysctl(bad, ns.path), RangeError, bad);
      }
      assert.throws(() => readSysctl("net/ipv4/ip_forward", `${ns.path}-missing`), NetnsNotFoundError);
    }));
});
