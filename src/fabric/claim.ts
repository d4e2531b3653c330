// One claim attempt (multihost.md §4.3): resume our previous lease, re-bind our keys to a new lease,
// or claim a free subnet; never pick a new subnet while our old one is alive. Every write is a CAS
// transaction (fabric-store.ts); the caller retries on "retry" and waits on "wait".
import type { FabricStore, Listing } from "./fabric-store.js";
import { chooseSubnet } from "./subnet-choice.js";
import type { FabricConfig, SubnetRecord } from "./types.js";

/** What a claim needs of the store (FabricStore; a fake in unit tests). */
export type ClaimStore = Pick<FabricStore, "list" | "grant" | "claim" | "rebind" | "revoke" | "leaseTtl">;

export interface ClaimContext {
  store: ClaimStore;
  config: FabricConfig;
  node: string;
  nodeUid: string;
  /** From the agent's state file: what this node had before. */
  previousSubnet?: string | undefined;
  previousLease?: string | undefined;
  /** Our subnet record for a subnet (public IP, VTEP MAC, MTU, IPv6 partner). */
  record(subnet: string): SubnetRecord;
}

export type ClaimResult =
  | { kind: "owned"; subnet: string; leaseId: string; how: "resumed" | "rebound" | "claimed" }
  | { kind: "wait"; phase: "name-in-use" | "pool-exhausted"; why: string }
  | { kind: "retry"; why: string };

export interface ClaimAttempt {
  result: ClaimResult;
  /** Our previous subnet is held by another node now (split brain after a partition). */
  taken?: { subnet: string; owner: string };
}

function sameAttributes(a: SubnetRecord, b: SubnetRecord): boolean {
  return a.publicIP === b.publicIP && a.vtepMac === b.vtepMac && a.mtu === b.mtu && a.v6Subnet === b.v6Subnet;
}

export async function claimOnce(ctx: ClaimContext): Promise<ClaimAttempt> {
  const l = await ctx.store.list();
  const mine = l.nodes.get(ctx.node);
  if (mine) return { result: await resumeOrRebind(ctx, l, mine) };
  const prev = ctx.previousSubnet;
  const holder = prev ? l.subnets.get(prev)?.value : undefined;
  const taken = prev && holder && holder.nodeUid !== ctx.nodeUid ? { subnet: prev, owner: holder.node } : undefined;
  return { result: await claimFree(ctx, l), ...(taken ? { taken } : {}) };
}

async function resumeOrRebind(
  ctx: ClaimContext,
  l: Listing,
  mine: NonNullable<ReturnType<Listing["nodes"]["get"]>>,
): Promise<ClaimResult> {
  const { store, config, node } = ctx;
  if (mine.value.nodeUid !== ctx.nodeUid) {
    return {
      kind: "wait",
      phase: "name-in-use",
      why: `nodes/${node} belongs to another daemon (uid ${mine.value.nodeUid}); waiting for it to expire`,
    };
  }
  const cidr = mine.value.subnet;
  const sub = l.subnets.get(cidr);
  if (!sub || sub.value.node !== node) {
    return {
      kind: "wait",
      phase: "name-in-use",
      why: `nodes/${node} names ${cidr}, which is not ours: waiting for it to expire`,
    };
  }
  // A restart within the TTL: our keys are alive. Same lease, same attributes → resume, no writes.
  const rec = ctx.record(cidr);
  const same = sameAttributes(sub.value, rec);
  if (same && ctx.previousLease === sub.lease && (await store.leaseTtl(sub.lease)) > 0) {
    return { kind: "owned", subnet: cidr, leaseId: sub.lease, how: "resumed" };
  }
  const lease = await store.grant(config.ttlSeconds);
  const ok = await store.rebind({
    cidr,
    node,
    nodeModRevision: mine.modRevision,
    subnetModRevision: sub.modRevision,
    nodeRecord: mine.value,
    subnetRecord: same ? sub.value : rec,
    lease: lease.id,
  });
  if (!ok) {
    await store.revoke(lease.id);
    return { kind: "retry", why: `our keys for ${cidr} changed while re-binding them` };
  }
  // The keys have moved off the old lease: revoking it deletes nothing.
  await store.revoke(sub.lease).catch(() => undefined);
  return { kind: "owned", subnet: cidr, leaseId: lease.id, how: "rebound" };
}

async function claimFree(ctx: ClaimContext, l: Listing): Promise<ClaimResult> {
  const { store, config, node } = ctx;
  const choice = chooseSubnet(config, l, node, ctx.previousSubnet);
  if (!choice) {
    return { kind: "wait", phase: "pool-exhausted", why: `every subnet of ${config.network} is taken or quarantined` };
  }
  const lease = await store.grant(config.ttlSeconds);
  const outcome = await store.claim({
    cidr: choice.subnet,
    node,
    nodeRecord: { subnet: choice.subnet, nodeUid: ctx.nodeUid },
    subnetRecord: ctx.record(choice.subnet),
    lease: lease.id,
    ...(choice.releasedModRevision ? { releasedModRevision: choice.releasedModRevision } : {}),
  });
  if (!outcome.won) {
    // As flannel does: give the lease back at once, or it would hold nothing for a whole TTL.
    await store.revoke(lease.id);
    return { kind: "retry", why: `lost the race for ${choice.subnet} to ${outcome.owner?.node ?? "another node"}` };
  }
  return { kind: "owned", subnet: choice.subnet, leaseId: lease.id, how: "claimed" };
}
