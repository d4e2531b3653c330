// DEL when the store cannot be used (damaged): what the runtime needs is that the container's
// link and its firewall elements are gone, so it can finish tearing the pod down. Both are found
// without the store: the link by CNI_NETNS/CNI_IFNAME (the veth pair dies whole), the addresses
// from the prevResult and from the firewall elements whose comment names this attachment. The
// reservations stay in the damaged file; recovery rebuilds the store from the kernel, where this
// container no longer is.
import { type DriverTable, driverFor } from "./drivers.js";
import { AttachmentProblemsError, Problem } from "./errors.js";
import { commentOwnerId } from "./firewall/index.js";
import type { FirewallPort, KernelPort } from "./ports.js";
import type { DetachRequest, NetworkSpec } from "./types.js";

export interface StorelessParts {
  kernel: KernelPort;
  firewall: FirewallPort;
  drivers: DriverTable;
}

/**
 * Removes the attachment's link and firewall elements, best effort, every step run.
 * @param knownIps addresses the runtime's prevResult names (without prefix length)
 * @throws AttachmentProblemsError listing the steps that failed
 */
export function detachWithoutStore(
  parts: StorelessParts,
  spec: NetworkSpec,
  req: DetachRequest,
  knownIps: readonly string[],
): void {
  const failures: Problem[] = [];
  const host = parts.kernel.openHost();
  try {
    try {
      driverFor(spec.driver, parts.drivers).detach(host, spec, {
        containerId: req.containerId,
        ifname: req.ifname,
        ...(req.netnsPath ? { netnsPath: req.netnsPath } : {}),
      });
    } catch (err) {
      failures.push(new Problem("remove the container's link", err));
    }
  } finally {
    host.close();
  }
  if (parts.kernel.nftAvailable()) {
    try {
      const owner = commentOwnerId(req.containerId);
      const tagged = parts.firewall
        .listContainerElements(spec.id)
        .filter((e) => e.containerId === owner && e.ifname === req.ifname)
        .map((e) => e.ip);
      const ips = [...new Set([...knownIps, ...tagged])];
      if (ips.length > 0) {
        parts.firewall.removeContainers(spec.id, [{ containerId: req.containerId, ifname: req.ifname, ips }]);
      }
    } catch (err) {
      failures.push(new Problem("remove firewall elements", err));
    }
  }
  if (failures.length > 0) throw new AttachmentProblemsError(failures, `DEL of ${req.containerId}/${req.ifname}`);
}
