import type { NetworkDriver } from "../driver.js";
import { NetworkDriverType } from "../types.js";
import { attachBridge } from "./add.js";
import { checkBridge } from "./check.js";
import { detachBridge } from "./del.js";

export const bridgeDriver: NetworkDriver = {
  type: NetworkDriverType.Bridge,
  // detachBridge deletes the container end, or the host end: either way the one veth pair.
  detachIsHostEndDeletion: true,
  attach: attachBridge,
  detach: (host, _spec, req) => detachBridge(host, req),
  check: checkBridge,
};
