/** The shapes the firewall works on. Nothing here knows CNI JSON or the store. */

/** none: reach each other, the gateway and (routed) the outside; internal: no forwarding out of the
 * network nor into it; strict: internal, and containers reach only the gateway. */
export type FirewallIsolation = "none" | "internal" | "strict";

export interface FirewallNetwork {
  /** Short safe id used in object names (letters, digits, `_`; at most 16), e.g. 8 hex. */
  id: string;
  /** The bridge's ifname. */
  bridge: string;
  /** The network's CIDRs, IPv4 and/or IPv6. */
  subnets: string[];
  isolation: FirewallIsolation;
  /** Masquerade traffic from the containers to destinations outside `subnets`. */
  ipMasq: boolean;
}

/** One container attachment's addresses, as the firewall keeps them (set elements). */
export interface FirewallContainer {
  containerId: string;
  /** The interface inside the container. */
  ifname: string;
  /** Plain addresses, no prefix length: "10.88.0.5", "fd00::5". */
  ips: string[];
  /** The host end (bridge port), kept for GC and debugging. */
  hostIfname?: string;
}

/** What removal needs of an attachment: its addresses. The rest is accepted so callers can pass records as they are. */
export interface FirewallContainerRef {
  ips: readonly string[];
  containerId?: string;
  ifname?: string;
  hostIfname?: string;
}

/** One address element of a network's sets, with the attachment recorded in its comment. */
export interface FirewallElement {
  ip: string;
  family: 4 | 6;
  /** Absent when the element carries no comment of ours. */
  containerId?: string;
  ifname?: string;
  hostIfname?: string;
}

/** A network found in the kernel's ruleset. */
export interface FirewallNetworkRef {
  id: string;
  bridge: string;
}
