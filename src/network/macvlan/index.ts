import { closeSync } from "node:fs";
import { LinkNotFoundError, NetnsNotFoundError, NotANetnsError, openNetnsFd, Rtnl } from "../../kernel/index.js";
import { checkContainerL3, configureContainerL3, containerRoutes } from "../container-setup.js";
import type { DriverAttachment, DriverDetach, NetworkDriver } from "../driver.js";
import { type AssignedIp, type AttachRequest, NetworkDriverType, type NetworkSpec } from "../types.js";
import type { UndoStack } from "../undo.js";

/**
 * Macvlan: a sub-interface of `master`, born inside the container's netns under its final name.
 * There is no host end; the gateway lives outside (on the parent's network).
 */
function attachMacvlan(
  host: Rtnl,
  ctr: Rtnl,
  spec: NetworkSpec,
  req: AttachRequest,
  ips: AssignedIp[],
  undo: UndoStack,
): DriverAttachment {
  if (!spec.master) throw new Error(`macvlan network "${spec.name}" has no "master" interface`);
  const parent = host.getLink(spec.master);
  if (!parent) throw new Error(`macvlan master "${spec.master}" does not exist`);
  const fd = openNetnsFd(req.netnsPath);
  try {
    host.addMacvlan({
      name: req.ifname,
      parentIndex: parent.index,
      mode: spec.macvlanMode ?? "bridge",
      netnsFd: fd,
      ...(spec.mtu ? { mtu: spec.mtu } : {}),
      ...(req.mac ? { mac: req.mac } : {}),
    });
  } finally {
    closeSync(fd);
  }
  undo.push(`delete macvlan "${req.ifname}" in ${req.netnsPath}`, () => ctr.deleteLink(req.ifname));
  const routes = containerRoutes(spec.routes, ips, spec.isDefaultGateway);
  const link = configureContainerL3(ctr, req.netnsPath, req.ifname, ips, routes);
  return {
    interfaces: [
      { name: parent.name, mac: parent.mac },
      { name: req.ifname, mac: link.mac, sandbox: req.netnsPath },
    ],
    routes,
  };
}

function detachMacvlan(req: DriverDetach): void {
  if (!req.netnsPath) return; // the sub-interface dies with its netns
  let ctr: Rtnl;
  try {
    ctr = Rtnl.open(req.netnsPath);
  } catch (err) {
    if (err instanceof NetnsNotFoundError || err instanceof NotANetnsError) return;
    throw err;
  }
  try {
    ctr.deleteLink(req.ifname);
  } catch (err) {
    if (!(err instanceof LinkNotFoundError)) throw err;
  } finally {
    ctr.close();
  }
}

export const macvlanDriver: NetworkDriver = {
  type: NetworkDriverType.Macvlan,
  attach: attachMacvlan,
  detach: (_host, _spec, req) => detachMacvlan(req),
  check(host, spec, req, ips, routes) {
    const problems: string[] = [];
    if (spec.master && !host.getLink(spec.master)) problems.push(`macvlan master "${spec.master}" is missing`);
    if (!req.netnsPath) return [...problems, "no netns path given"];
    const ctr = Rtnl.open(req.netnsPath);
    try {
      return [...problems, ...checkContainerL3(ctr, req.ifname, ips, routes)];
    } finally {
      ctr.close();
    }
  },
};
