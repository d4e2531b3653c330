// The overlay driver: a bridge network whose subnet is this node's fabric subnet. Other nodes' pods
// are reached through the node's routes to the vxlan device, which the fabric agent programs; the
// container side is exactly the bridge driver's.
import { attachBridge } from "../bridge/add.js";
import { checkBridge } from "../bridge/check.js";
import { detachBridge } from "../bridge/del.js";
import type { NetworkDriver } from "../driver.js";
import { NetworkNotReadyError } from "../errors.js";
import { NetworkDriverType } from "../types.js";

export { leaseProblem, OVERLAY_LEASE_FILE, type OverlayLease, overlayLeasePath, readOverlayLease } from "./lease.js";
export { OverlayConfigError, overlaySpec } from "./spec.js";

export class OverlayNotReadyError extends NetworkNotReadyError {
  override name = "OverlayNotReadyError";
}

export const overlayDriver: NetworkDriver = {
  type: NetworkDriverType.Overlay,
  attach: (host, ctr, spec, req, ips, undo) => {
    if (spec.notReady) throw new OverlayNotReadyError(spec.name, spec.notReady);
    return attachBridge(host, ctr, spec, req, ips, undo);
  },
  detach: (host, _spec, req) => detachBridge(host, req),
  check: checkBridge,
};
