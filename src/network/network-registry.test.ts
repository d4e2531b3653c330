// The host-wide registry's rules, root-free: conflicts by bridge, overlapping subnets, and a name
// with other settings; the same claim again is fine; a dead entry is replaced (and cleaned); two
// handles on one SQLite file (two processes) see each other's claims.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MemoryRegistryStore, SqliteRegistryStore } from "../store/index.js";
import { NetworkConflictError } from "./errors.js";
import { conflictReason, type NetworkClaim, NetworkRegistry } from "./network-registry.js";

const a: NetworkClaim = { name: "a", driver: "bridge", bridge: "br-a", subnets: ["10.1.0.0/24"], dataDir: "/d1" };
const live = () => true;

function refuses(r: NetworkRegistry, c: NetworkClaim, reason: RegExp): void {
  assert.throws(
    () => r.claim(c, live),
    (e: unknown) => e instanceof NetworkConflictError && e.other === "a" && reason.test(e.message),
  );
}

describe("network registry", () => {
  test("conflictReason covers bridge, overlap (both ways, v6 too) and a name with other settings", () => {
    assert.equal(conflictReason(a, a), undefined);
    assert.match(conflictReason({ ...a, name: "b", subnets: ["10.2.0.0/24"] }, a) ?? "", /bridge "br-a"/);
    assert.match(conflictReason({ ...a, name: "b", bridge: "x", subnets: ["10.1.0.128/25"] }, a) ?? "", /overlaps/);
    assert.match(conflictReason({ ...a, name: "b", bridge: "x", subnets: ["10.0.0.0/8"] }, a) ?? "", /overlaps/);
    assert.equal(conflictReason({ ...a, name: "b", bridge: "x", subnets: ["10.2.0.0/24"] }, a), undefined);
    const v6 = { ...a, subnets: ["fd00:1::/64"] };
    assert.match(conflictReason({ ...v6, name: "b", bridge: "x", subnets: ["fd00:1::/48"] }, v6) ?? "", /overlaps/);
    assert.match(conflictReason({ ...a, dataDir: "/d2" }, a) ?? "", /data dir \/d1 there, \/d2 here/);
    assert.equal(
      conflictReason(
        { ...a, name: "m", driver: "macvlan", bridge: "", subnets: ["10.9.0.0/24"] },
        { ...a, name: "n", driver: "macvlan", bridge: "", subnets: ["10.8.0.0/24"] },
      ),
      undefined,
    );
  });

  test("a live conflicting network is refused naming it; the same claim again passes", () => {
    const r = new NetworkRegistry(new MemoryRegistryStore(), () => "ns1");
    r.claim(a, live);
    r.claim({ ...a }, live);
    refuses(r, { ...a, name: "b", subnets: ["10.2.0.0/24"] }, /both use bridge/);
    refuses(r, { ...a, dataDir: "/d2" }, /the same name/);
    assert.deepEqual(
      r.list().map((e) => e.name),
      ["a"],
    );
  });

  test("a fresh registration is live whatever its probe says (its first ADD is under way)", () => {
    const r = new NetworkRegistry(new MemoryRegistryStore(), () => "ns1");
    r.claim(a, live);
    assert.throws(() => r.claim({ ...a, name: "b" }, () => false), NetworkConflictError);
  });

  test("a dead conflicting network is replaced after onDead", () => {
    const r = new NetworkRegistry(new MemoryRegistryStore(), () => "ns1", 0);
    r.claim(a, live);
    const dead: string[] = [];
    r.claim(
      { ...a, name: "b" },
      () => false,
      (e) => dead.push(e.name),
    );
    assert.deepEqual(dead, ["a"]);
    assert.deepEqual(
      r.list().map((e) => e.name),
      ["b"],
    );
  });

  test("other network namespaces never conflict", () => {
    const store = new MemoryRegistryStore();
    new NetworkRegistry(store, () => "ns1").claim(a, live);
    new NetworkRegistry(store, () => "ns2").claim({ ...a, name: "b" }, live);
  });

  test("two handles on one file (two processes): the second claim sees the first", () => {
    const dir = mkdtempSync(join(tmpdir(), "qreg-unit-"));
    try {
      const one = new NetworkRegistry(SqliteRegistryStore.open(dir), () => "ns1");
      const two = new NetworkRegistry(SqliteRegistryStore.open(dir), () => "ns1");
      one.claim(a, live);
      refuses(two, { ...a, name: "b", bridge: "br-b", subnets: ["10.1.0.0/16"] }, /overlaps/);
      assert.equal(two.forget("a"), true);
      two.claim({ ...a, name: "b", bridge: "br-b", subnets: ["10.1.0.0/16"] }, live);
      one.close();
      two.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
