// The fabric's data model in etcd (multihost.md §4.2), under one key prefix per fabric:
//   <prefix>config              FabricConfig, written once by `quantumctl fabric init`
//   <prefix>subnets/<key>       SubnetRecord, on the owning node's lease
//   <prefix>nodes/<nodeName>    NodeRecord, on the same lease (one subnet per node, the restart index)
//   <prefix>released/<key>      ReleasedRecord, on a quarantine lease: the subnet is not handed out meanwhile

/** The fabric-wide settings every node must agree on. */
export interface FabricConfig {
  /** The pool every node's subnet comes from, e.g. "10.254.0.0/16" (IPv4). */
  network: string;
  /** Prefix length of one node's subnet (default 24). */
  subnetLen: number;
  /** Dual-stack: an IPv6 pool; node i's IPv6 subnet is the i-th /v6SubnetLen of it, paired with its IPv4 one. */
  v6Network?: string;
  /** Prefix length of one node's IPv6 subnet (default 64). */
  v6SubnetLen?: number;
  backend: { type: "vxlan"; vni: number; port: number };
  /** Lease TTL of a node's claim, seconds (default 60; etcd grants at least 2). */
  ttlSeconds: number;
  /** How long a subnet whose owner vanished stays unclaimable (default 600 s, tests: a few). */
  reuseQuarantineSeconds: number;
}

export interface SubnetRecord {
  node: string;
  /** Random per node daemon identity kept in the node's state file: tells two daemons with one name apart. */
  nodeUid: string;
  publicIP: string;
  vtepMac: string;
  vni: number;
  mtu: number;
  claimedAt: string;
  /** Dual-stack: this node's IPv6 subnet (paired with the key's IPv4 one). */
  v6Subnet?: string;
}

export interface NodeRecord {
  /** The subnet key ("10.254.1.0-24"). */
  subnet: string;
  nodeUid: string;
}

export interface ReleasedRecord {
  node: string;
  at: string;
}

/** A peer as the overlay programs it: everything comes from its SubnetRecord. */
export interface Peer {
  /** "10.254.2.0/24". */
  subnet: string;
  node: string;
  publicIP: string;
  vtepMac: string;
  /** Dual-stack: the peer's IPv6 subnet, routed through the same VTEP. */
  v6Subnet?: string;
}
