import { closeSync } from "node:fs";
import { createHostVeth, KernelError, openNetnsFd, type Rtnl } from "../../kernel/index.js";
import { formatAttachmentAlias } from "../attachment-alias.js";
import { configureContainerL3, containerRoutes } from "../container-setup.js";
import type { DriverAttachment } from "../driver.js";
import { BridgeFullError } from "../errors.js";
import { type AssignedIp, type AttachRequest, IsolationLevel, type NetworkSpec } from "../types.js";
import type { UndoStack } from "../undo.js";
import { ensureBridge, ensureGatewayOnce, randomMac } from "./ensure.js";

/**
 * Wires one container to the network's bridge: the veth's container end is born inside the netns
 * under its final name and the host end joins the bridge, up, in the same request (no move, no
 * rename: kernel-notes.md). Each state change pushes its undo.
 */
export function attachBridge(
  host: Rtnl,
  ctr: Rtnl,
  spec: NetworkSpec,
  req: AttachRequest,
  ips: AssignedIp[],
  undo: UndoStack,
): DriverAttachment {
  const bridge = ensureBridge(host, spec);
  if (spec.isGateway) ensureGatewayOnce(host, spec, bridge, ips);

  const nsFd = openNetnsFd(req.netnsPath);
  // Our own random MAC for the container end unless one was asked for (the kernel's would be the
  // same kind): known here, it need not be read back from the container.
  const peerMac = req.mac ?? randomMac();
  let hostEnd: ReturnType<typeof createHostVeth>;
  try {
    hostEnd = createHostVeth(host, {
      peerName: req.ifname,
      peerNetnsFd: nsFd,
      master: bridge.index,
      up: true,
      ...(spec.mtu ? { mtu: spec.mtu } : {}),
      peerMac,
    });
  } catch (err) {
    // The kernel caps a bridge at 1024 ports (BR_MAX_PORTS) and says only "Exchange full".
    if (err instanceof KernelError && err.code === "EXFULL") throw new BridgeFullError(spec.name, spec.bridge, err);
    throw err;
  } finally {
    closeSync(nsFd);
  }
  // Deleting the host end removes the pair, the container end with it.
  undo.push(`delete veth "${hostEnd.name}"`, () => host.deleteLink(hostEnd.name));
  // The kernel vouches for this container if the store is lost (attachment-alias.ts).
  host.setLink(hostEnd.index, {
    alias: formatAttachmentAlias({
      networkId: spec.id,
      ifname: req.ifname,
      containerId: req.containerId,
      netns: req.netnsPath,
    }),
  });

  const strict = spec.isolation === IsolationLevel.Strict;
  if (spec.hairpinMode || strict) {
    host.setBridgePort(hostEnd.index, {
      ...(spec.hairpinMode ? { hairpin: true } : {}),
      ...(strict ? { isolated: true } : {}),
    });
  }

  const routes = containerRoutes(spec.routes, ips, spec.isDefaultGateway);
  // The host end's IFLA_LINK is the container end's ifindex in its netns.
  const known = hostEnd.peerIndex !== undefined ? { index: hostEnd.peerIndex, mac: peerMac } : undefined;
  const ctrLink = configureContainerL3(ctr, req.netnsPath, req.ifname, ips, routes, known);
  return {
    interfaces: [
      { name: bridge.name, mac: bridge.mac },
      { name: hostEnd.name, mac: hostEnd.mac },
      { name: req.ifname, mac: ctrLink.mac, sandbox: req.netnsPath },
    ],
    hostIfname: hostEnd.name,
    routes,
  };
}
