// The kernel layer's public surface: rtnetlink over the netlink addon, netns handles, sysctls.
// nftables.ts (written separately) is re-exported here too, so callers import one module.
export { SCOPES, type Scope } from "./constants.js";
export { KernelError, type KernelErrorInit, LinkNotFoundError, PeerNameTakenError } from "./errors.js";
export type { Family } from "./ip.js";
export { ensureIptablesAccept, type IptablesFamily, iptablesChainExists, removeIptablesAccept } from "./iptables.js";
export {
  checkNetnsPath,
  currentNetnsId,
  NetnsNotFoundError,
  NotANetnsError,
  openNetnsFd,
  withNetnsFd,
} from "./netns.js";
export * from "./nftables.js";
export { Rtnl } from "./rtnl.js";
export { readSysctl, writeSysctl } from "./sysctl.js";
export type {
  Address,
  AddressOptions,
  BridgeOptions,
  BridgePortOptions,
  BridgePortState,
  FdbEntry,
  FdbSpec,
  Link,
  MacvlanMode,
  MacvlanOptions,
  Neighbour,
  NeighbourSpec,
  Route,
  RouteSpec,
  RtnlChannel,
  SetLinkOptions,
  VethOptions,
  VxlanOptions,
} from "./types.js";
export { createHostVeth, type HostVethOptions, randomVethName } from "./veth.js";
export { withNetns } from "./with-netns.js";
