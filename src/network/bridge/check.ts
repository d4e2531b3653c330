import { Rtnl } from "../../kernel/index.js";
import { checkContainerL3 } from "../container-setup.js";
import type { DriverDetach } from "../driver.js";
import type { AssignedIp, NetworkSpec, RouteSpec } from "../types.js";

/** Compares the kernel with the attachment: bridge, host end on it and up, container L3. */
export function checkBridge(
  host: Rtnl,
  spec: NetworkSpec,
  req: DriverDetach,
  ips: AssignedIp[],
  routes: RouteSpec[],
): string[] {
  const problems: string[] = [];
  const bridge = host.getLink(spec.bridge);
  if (!bridge) problems.push(`bridge "${spec.bridge}" is missing`);
  else if (bridge.kind !== "bridge") problems.push(`"${spec.bridge}" is not a bridge`);
  if (req.hostIfname) {
    const hostEnd = host.getLink(req.hostIfname);
    if (!hostEnd) problems.push(`host veth "${req.hostIfname}" is missing`);
    else {
      if (bridge && hostEnd.master !== bridge.index) {
        problems.push(`host veth "${req.hostIfname}" is not attached to bridge "${spec.bridge}"`);
      }
      if (!hostEnd.up) problems.push(`host veth "${req.hostIfname}" is down`);
    }
  }
  if (!req.netnsPath) return [...problems, "no netns path given"];
  const ctr = Rtnl.open(req.netnsPath);
  try {
    problems.push(...checkContainerL3(ctr, req.ifname, ips, routes));
  } finally {
    ctr.close();
  }
  return problems;
}
