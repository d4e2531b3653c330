// Which subnet a node should try to claim (multihost.md §4.3 step 4): the one it had before if it
// is free (or quarantined for it), else a random free one. Random, not first-free, so that nodes
// starting together rarely race for the same one (flannel samples the free list too).
import type { Listing } from "./fabric-store.js";
import { poolSubnets, subnetInPool } from "./subnets.js";
import type { FabricConfig } from "./types.js";

export interface SubnetChoice {
  subnet: string;
  /** Set when the subnet is quarantined for this very node: the claim deletes the mark. */
  releasedModRevision?: string;
}

export function chooseSubnet(c: FabricConfig, l: Listing, node: string, previous?: string): SubnetChoice | null {
  if (previous && subnetInPool(c, previous) && !l.subnets.has(previous)) {
    const released = l.released.get(previous);
    if (!released) return { subnet: previous };
    if (released.value.node === node) return { subnet: previous, releasedModRevision: released.modRevision };
  }
  const free = poolSubnets(c).filter((s) => !l.subnets.has(s) && !l.released.has(s));
  if (free.length === 0) return null;
  const sample = free.slice(0, 100);
  const pick = sample[Math.floor(Math.random() * sample.length)];
  return pick ? { subnet: pick } : null;
}
