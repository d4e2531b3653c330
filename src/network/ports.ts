// The two seams of the dataplane's core to the outside world: the kernel (netlink sockets, netns
// checks) and the firewall. The real ones are built by openDataplane; unit tests hand in the fakes
// of network/testing, so ADD/DEL/CHECK/GC and reconcile run without root.
import type { Rtnl } from "../kernel/index.js";
import type { Firewall } from "./firewall/index.js";

export interface KernelPort {
  /** A socket in the netns this process runs in (the host side). */
  openHost(): Rtnl;
  /**
   * A socket bound to the netns at `path`.
   * @throws NetnsNotFoundError | NotANetnsError when there is none
   */
  openNetns(path: string): Rtnl;
  /** True when `path` no longer names a network namespace. */
  netnsGone(path: string): boolean;
  /** False when nftables cannot be programmed here (no nft at all). */
  nftAvailable(): boolean;
}

/** What the core asks of the firewall (the nftables ruleset of firewall/). */
export type FirewallPort = Pick<
  Firewall,
  | "ensureNetwork"
  | "addContainer"
  | "removeContainers"
  | "hasContainer"
  | "listContainerElements"
  | "removeNetwork"
  | "addHostPorts"
  | "removeHostPorts"
  | "listHostPorts"
>;
