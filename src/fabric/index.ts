// The fabric layer's public surface: multi-host subnets on etcd and the VXLAN overlay.
export {
  FabricAgent,
  type FabricAgentOptions,
  type FabricLog,
  type FabricPhase,
  type FabricStatus,
} from "./agent.js";
export { type ClaimAttempt, type ClaimResult, claimOnce } from "./claim.js";
export {
  DEFAULT_PREFIX,
  FabricConfigError,
  type FabricConfigInput,
  makeFabricConfig,
  sameFabricConfig,
  validateFabricConfig,
} from "./config.js";
export {
  type EndpointHealth,
  EtcdCluster,
  type EtcdClusterOptions,
  EtcdUnavailableError,
  parseEndpoints,
} from "./etcd-cluster.js";
export { type ClaimOutcome, type Entry, FabricStore, type Listing } from "./fabric-store.js";
export { checkNodeName, FabricKeys } from "./keys.js";
export { keepAliveOnce, LeaseKeeper } from "./lease-keeper.js";
export { OverlayDevice, type OverlayDeviceOptions } from "./overlay-device.js";
export { PeerFeed, peersOf } from "./peer-feed.js";
export { PeerSync } from "./peer-sync.js";
export { chooseSubnet } from "./subnet-choice.js";
export { poolSubnets, subnetAddresses, subnetFromKey, subnetKey } from "./subnets.js";
export type { FabricConfig, NodeRecord, Peer, ReleasedRecord, SubnetRecord } from "./types.js";
export { VXLAN_V4_OVERHEAD, vtepMac } from "./vtep.js";
