import { networkOfCidr } from "../ipam/index.js";
import type { FirewallNetwork } from "./firewall/index.js";
import type { AssignedIp, NetworkSpec } from "./types.js";

/**
 * What the firewall programs for a network: its subnets, or, when addresses come from a delegated
 * IPAM plugin (no subnets of ours), the networks of the container's addresses.
 */
export function firewallNetwork(spec: NetworkSpec, ips: readonly AssignedIp[] = []): FirewallNetwork {
  const subnets =
    spec.subnets.length > 0
      ? spec.subnets.map((s) => s.subnet)
      : ips.map((ip) => networkOfCidr(ip.address) ?? ip.address);
  return { id: spec.id, bridge: spec.bridge, subnets, isolation: spec.isolation, ipMasq: spec.ipMasq };
}
