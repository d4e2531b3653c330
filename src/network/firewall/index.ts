export {
  defaultNftRunner,
  Firewall,
  type FirewallMarkerCache,
  type FirewallOptions,
  type NftRunner,
} from "./firewall.js";
export {
  HOSTPORT,
  type HostPortMapping,
  type HostPortOwner,
  type HostPortProtocol,
  hostPortElement,
  MASQ_MARK,
} from "./hostports.js";
export type { HostPortElement } from "./hostports-parse.js";
export { DEFAULT_TABLE, type NetworkObjectNames, networkNames, STATIC } from "./names.js";
export {
  type AddMode,
  addContainerScript,
  ensureNetworkScript,
  type NetworkScript,
  removeContainersScript,
  removeNetworkScript,
  removeTableScript,
  tableScript,
} from "./ruleset.js";
export { storeMarkers } from "./store-markers.js";
export type {
  FirewallContainer,
  FirewallContainerRef,
  FirewallElement,
  FirewallIsolation,
  FirewallNetwork,
  FirewallNetworkRef,
} from "./types.js";
export { commentOwnerId, MAX_COMMENT_ID } from "./validate.js";
