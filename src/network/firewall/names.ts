/**
 * Object names inside our table. Static objects have fixed names; a network's objects are all
 * `n_<id>_<suffix>`, so a network can be found, listed and removed by its id alone.
 */

/** The table's default name: `table inet quantum`. */
export const DEFAULT_TABLE = "quantum";

/** Static objects, shared by every network; per network only their elements change. */
export const STATIC = {
  /** Every bridge of ours: forwarding between two of them is always dropped. */
  bridges: "bridges",
  /** ifname : verdict maps dispatching a packet to its network's chain, one per hook. */
  fwdFrom: "fwd_from",
  fwdTo: "fwd_to",
  inFrom: "in_from",
  natFrom: "nat_from",
  forward: "forward",
  input: "input",
  postrouting: "postrouting",
} as const;

export interface NetworkObjectNames {
  /** forward, packets coming from the network's bridge. */
  from: string;
  /** forward, packets going into the network's bridge from elsewhere. */
  to: string;
  /** input, packets from the network's bridge to the host itself. */
  input: string;
  /** postrouting nat, packets that came from the network's bridge. */
  nat: string;
  /** The containers' addresses. */
  addrs4: string;
  addrs6: string;
}

export function networkNames(id: string): NetworkObjectNames {
  const p = `n_${id}_`;
  return { from: `${p}from`, to: `${p}to`, input: `${p}in`, nat: `${p}nat`, addrs4: `${p}a4`, addrs6: `${p}a6` };
}

/** Reads the network id back from the name of its `from` chain (a vmap's jump target). */
export function idFromFromChain(chain: string): string | undefined {
  const m = /^n_([A-Za-z0-9_]+)_from$/.exec(chain);
  return m?.[1];
}
