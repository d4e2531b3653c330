import { LinkNotFoundError, NetnsNotFoundError, NotANetnsError, Rtnl } from "../../kernel/index.js";
import type { DriverDetach } from "../driver.js";

/**
 * Removes the container's veth. Idempotent: a gone netns, a gone link or an empty CNI_NETNS are
 * success. The host end is deleted when the netns is unknown (the pair dies with either end).
 */
export function detachBridge(host: Rtnl, req: DriverDetach): void {
  if (req.netnsPath) {
    let ctr: Rtnl | undefined;
    try {
      ctr = Rtnl.open(req.netnsPath);
    } catch (err) {
      if (!(err instanceof NetnsNotFoundError || err instanceof NotANetnsError)) throw err;
    }
    if (ctr) {
      try {
        ctr.deleteLink(req.ifname);
        return;
      } catch (err) {
        if (!(err instanceof LinkNotFoundError)) throw err;
      } finally {
        ctr.close();
      }
    }
  }
  if (req.hostIfname) {
    try {
      host.deleteLink(req.hostIfname);
    } catch (err) {
      if (!(err instanceof LinkNotFoundError)) throw err;
    }
  }
}
