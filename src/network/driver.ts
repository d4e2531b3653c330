import type { Rtnl } from "../kernel/index.js";
import type { AssignedIp, AttachRequest, LinkRef, NetworkDriverType, NetworkSpec, RouteSpec } from "./types.js";
import type { UndoStack } from "./undo.js";

/** What a driver wired: the CNI result's interfaces and the host-side link it owns. */
export interface DriverAttachment {
  interfaces: LinkRef[];
  /** Host end of the pair (bridge) or undefined when the driver has none (macvlan). */
  hostIfname?: string;
  routes: RouteSpec[];
}

export interface DriverDetach {
  containerId: string;
  ifname: string;
  netnsPath?: string;
  hostIfname?: string;
}

/**
 * A network driver wires one container. It gets kernel sockets and plain values;
 * it never sees CNI JSON, the store or the firewall.
 */
export interface NetworkDriver {
  readonly type: NetworkDriverType;
  /**
   * True when detach does nothing but delete the veth pair whose host end is `hostIfname`: the
   * daemon may then delete that host end together with other links in one request (link-deletion.ts).
   */
  readonly detachIsHostEndDeletion?: boolean;
  /** `ctr` is a socket in the container's netns, already checked to hold no `req.ifname`. */
  attach(
    host: Rtnl,
    ctr: Rtnl,
    spec: NetworkSpec,
    req: AttachRequest,
    ips: AssignedIp[],
    undo: UndoStack,
  ): DriverAttachment;
  /** Best effort and idempotent: missing netns or links are not errors. */
  detach(host: Rtnl, spec: NetworkSpec, req: DriverDetach): void;
  /** Differences between the kernel and what an attachment should be; empty = healthy. */
  check(host: Rtnl, spec: NetworkSpec, req: DriverDetach, ips: AssignedIp[], routes: RouteSpec[]): string[];
}
