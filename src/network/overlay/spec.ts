// An overlay network's spec: bridge-like, with its subnet and MTU taken from this node's fabric
// lease instead of the config. DEL must work without a lease, so a missing or fenced lease is
// recorded as a reason (the driver refuses ADD, STATUS reports it) rather than thrown here.
import type { NetworkSpec } from "../types.js";
import { leaseProblem, readOverlayLease } from "./lease.js";

export class OverlayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OverlayConfigError";
  }
}

export function overlaySpec(spec: NetworkSpec, dataDir: string): NetworkSpec {
  if (spec.subnets.length > 0) {
    throw new OverlayConfigError(
      `network "${spec.name}": driver "overlay" takes its subnet from the fabric lease of this node; remove "subnet"/"subnets"`,
    );
  }
  const lease = readOverlayLease(dataDir);
  const problem = leaseProblem(lease);
  const out: NetworkSpec = { ...spec };
  if (problem) out.notReady = problem;
  if (lease) {
    out.subnets = [{ subnet: lease.subnet, gateway: lease.gateway }];
    if (lease.v6Subnet && lease.v6Gateway) out.subnets.push({ subnet: lease.v6Subnet, gateway: lease.v6Gateway });
    // A configured MTU may be smaller than the vxlan's, never larger (the outer packets would fragment).
    out.mtu = spec.mtu !== undefined ? Math.min(spec.mtu, lease.mtu) : lease.mtu;
  }
  return out;
}
