// The VTEP MAC is derived from the node's public IPv4 address, so re-creating the vxlan device (or
// the node) never changes it and peers' permanent neighbour/FDB entries never go stale (P7).
import { parseV4 } from "./subnets.js";

/** "0e:51:" + the four bytes of the IPv4 address: locally administered (bit 1), unicast (bit 0 clear). */
export function vtepMac(publicIPv4: string): string {
  const n = parseV4(publicIPv4, "public IP");
  const bytes = [0x0e, 0x51, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** The vxlan overhead on an IPv4 underlay: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_V4_OVERHEAD = 50;
