import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ClaimStore, claimOnce } from "./claim.js";
import { makeFabricConfig } from "./config.js";
import type { Entry, Listing } from "./fabric-store.js";
import type { NodeRecord, ReleasedRecord, SubnetRecord } from "./types.js";

const config = makeFabricConfig({ network: "10.254.0.0/22", ttlSeconds: 10 });

/** An in-memory store with etcd's semantics for what a claim uses: leases, create-if-absent, mod CAS. */
class FakeStore implements ClaimStore {
  rev = 1;
  nextLease = 100;
  leases = new Map<string, number>();
  subnets = new Map<string, Entry<SubnetRecord>>();
  nodes = new Map<string, Entry<NodeRecord>>();
  released = new Map<string, Entry<ReleasedRecord>>();
  writes = 0;

  async list(): Promise<Listing> {
    return {
      revision: String(this.rev),
      config,
      subnets: new Map(this.subnets),
      nodes: new Map(this.nodes),
      released: new Map(this.released),
      malformed: [],
    };
  }
  async grant(ttl: number) {
    const id = String(this.nextLease++);
    this.leases.set(id, ttl);
    return { id, ttl };
  }
  async revoke(id: string) {
    this.leases.delete(id);
    for (const m of [this.subnets, this.nodes] as Map<string, Entry<unknown>>[])
      for (const [k, e] of m) if (e.lease === id) m.delete(k);
  }
  async leaseTtl(id: string) {
    return this.leases.get(id) ?? -1;
  }
  async claim(o: Parameters<ClaimStore["claim"]>[0]) {
    const released = this.released.get(o.cidr);
    const releasedOk = o.releasedModRevision ? released?.modRevision === o.releasedModRevision : !released;
    if (this.nodes.has(o.node) || this.subnets.has(o.cidr) || !releasedOk) {
      return { won: false as const, owner: this.subnets.get(o.cidr)?.value ?? null };
    }
    const mod = String(++this.rev);
    this.writes++;
    this.nodes.set(o.node, { value: o.nodeRecord, modRevision: mod, lease: o.lease });
    this.subnets.set(o.cidr, { value: o.subnetRecord, modRevision: mod, lease: o.lease });
    if (o.releasedModRevision) this.released.delete(o.cidr);
    return { won: true as const, revision: mod };
  }
  async rebind(o: Parameters<ClaimStore["rebind"]>[0]) {
    if (
      this.nodes.get(o.node)?.modRevision !== o.nodeModRevision ||
      this.subnets.get(o.cidr)?.modRevision !== o.subnetModRevision
    )
      return false;
    const mod = String(++this.rev);
    this.writes++;
    this.nodes.set(o.node, { value: o.nodeRecord, modRevision: mod, lease: o.lease });
    this.subnets.set(o.cidr, { value: o.subnetRecord, modRevision: mod, lease: o.lease });
    return true;
  }
}

const record =
  (node: string, uid = node) =>
  (subnet: string): SubnetRecord => ({
    node,
    nodeUid: uid,
    publicIP: "10.0.0.1",
    vtepMac: "0e:51:0a:00:00:01",
    vni: 1,
    mtu: 1450,
    claimedAt: `for ${subnet}`,
  });
const ctx = (
  store: FakeStore,
  node: string,
  extra: { uid?: string; previousSubnet?: string; previousLease?: string } = {},
) => ({
  store,
  config,
  node,
  nodeUid: extra.uid ?? node,
  previousSubnet: extra.previousSubnet,
  previousLease: extra.previousLease,
  record: record(node, extra.uid ?? node),
});

describe("claimOnce", () => {
  it("claims a free subnet; three nodes fill the pool of three; the fourth waits", async () => {
    const s = new FakeStore();
    const got = new Set<string>();
    for (const n of ["a", "b", "c"]) {
      const { result } = await claimOnce(ctx(s, n));
      assert.equal(result.kind, "owned");
      if (result.kind === "owned") got.add(result.subnet);
    }
    assert.equal(got.size, 3);
    const { result } = await claimOnce(ctx(s, "d"));
    assert.deepEqual(result.kind === "wait" && result.phase, "pool-exhausted");
  });

  it("a restart with the same lease resumes it without writing", async () => {
    const s = new FakeStore();
    const first = (await claimOnce(ctx(s, "a"))).result;
    assert.equal(first.kind, "owned");
    if (first.kind !== "owned") return;
    const writes = s.writes;
    const again = (await claimOnce(ctx(s, "a", { previousSubnet: first.subnet, previousLease: first.leaseId }))).result;
    assert.deepEqual(again, { kind: "owned", subnet: first.subnet, leaseId: first.leaseId, how: "resumed" });
    assert.equal(s.writes, writes);
  });

  it("a restart without the lease re-binds the same subnet to a new lease and revokes the old one", async () => {
    const s = new FakeStore();
    const first = (await claimOnce(ctx(s, "a"))).result;
    if (first.kind !== "owned") throw new Error("no claim");
    const again = (await claimOnce(ctx(s, "a", { previousSubnet: first.subnet }))).result;
    assert.equal(again.kind === "owned" && again.how, "rebound");
    assert.equal(again.kind === "owned" && again.subnet, first.subnet);
    assert.equal(s.leases.has(first.leaseId), false);
    assert.equal(s.subnets.get(first.subnet)?.lease, again.kind === "owned" ? again.leaseId : "");
  });

  it("another daemon under the same name waits", async () => {
    const s = new FakeStore();
    await claimOnce(ctx(s, "a", { uid: "one" }));
    const { result } = await claimOnce(ctx(s, "a", { uid: "two" }));
    assert.equal(result.kind === "wait" && result.phase, "name-in-use");
  });

  it("a node whose subnet was reassigned while it was away reports it as taken and claims another", async () => {
    const s = new FakeStore();
    const first = (await claimOnce(ctx(s, "a"))).result;
    if (first.kind !== "owned") throw new Error("no claim");
    await s.revoke(first.leaseId); // a's lease expired
    const b = (await claimOnce(ctx(s, "b", { previousSubnet: first.subnet }))).result;
    assert.equal(b.kind === "owned" && b.subnet, first.subnet, "b prefers a free previous subnet: here a's");
    const back = await claimOnce(ctx(s, "a", { previousSubnet: first.subnet }));
    assert.deepEqual(back.taken, { subnet: first.subnet, owner: "b" });
    assert.equal(back.result.kind, "owned");
    assert.notEqual(back.result.kind === "owned" && back.result.subnet, first.subnet);
  });

  it("a quarantined subnet goes only to its previous owner", async () => {
    const s = new FakeStore();
    s.released.set("10.254.1.0/24", { value: { node: "a", at: "" }, modRevision: "1", lease: "9" });
    s.released.set("10.254.2.0/24", { value: { node: "x", at: "" }, modRevision: "1", lease: "9" });
    s.released.set("10.254.3.0/24", { value: { node: "y", at: "" }, modRevision: "1", lease: "9" });
    assert.equal((await claimOnce(ctx(s, "b"))).result.kind, "wait");
    const a = (await claimOnce(ctx(s, "a", { previousSubnet: "10.254.1.0/24" }))).result;
    assert.equal(a.kind === "owned" && a.subnet, "10.254.1.0/24");
    assert.equal(s.released.has("10.254.1.0/24"), false, "the claim removed the quarantine mark");
  });
});
