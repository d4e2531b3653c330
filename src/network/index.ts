// The network layer's one public face: the network model, the dataplane and its composition root,
// VirtualNetworkManager, the audit, and the errors the layers above map to CNI codes (including
// those raised below, in ipam/ and kernel/, so that no caller reaches past this folder).

// Raised below this layer; re-exported so manager/ maps them to CNI codes without reaching past network/.
export { IpamError, type IpamErrorKind } from "../ipam/index.js";
export {
  KernelError,
  LinkNotFoundError,
  NetnsNotFoundError,
  NotANetnsError,
  PeerNameTakenError,
} from "../kernel/index.js";
export { type Attachment, DB_FILE_NAME, type Store, StoreDamagedError, StoreFullError } from "../store/index.js";
export type { Dataplane, DataplaneParts } from "./dataplane.js";
export {
  canonicalSubnet,
  checkHostAddress,
  DockerDataplane,
  type DockerNetworkSpec,
  firstHost,
  HOLDER_IFNAME,
  isDockerHolder,
  plainAddress,
  prefixOf,
  subnetsOverlapText,
  type WiredEndpoint,
} from "./docker/docker-dataplane.js";
export { type DriverTable, defaultDrivers, UnsupportedDriverError } from "./drivers.js";
export {
  AttachmentProblemsError,
  BridgeFullError,
  InterfaceExistsError,
  NetworkConflictError,
  NetworkNotReadyError,
  Problem,
} from "./errors.js";
export { finishDeferredDeletion } from "./fast-detach.js";
export {
  DEFAULT_TABLE as DEFAULT_FIREWALL_TABLE,
  Firewall,
  type FirewallOptions,
  type NftRunner,
} from "./firewall/index.js";
export { type DeferredLinkDeletion, deleteLinksTogether, randomLinkGroup } from "./link-deletion.js";
export {
  type AuditDeps,
  auditNetworks,
  type Finding,
  type FindingKind,
  type RepairReport,
  repairFindings,
} from "./network-audit.js";
export { defaultBridgeName, networkId } from "./network-ids.js";
export { conflictReason, currentNetnsScope, type NetworkClaim, NetworkRegistry } from "./network-registry.js";
export { type NetworkSpecInput, networkSpec } from "./network-spec.js";
export {
  InvalidNetworkError,
  NETWORK_NAME_MAX,
  NETWORK_NAME_PATTERN,
  NetworkExistsError,
  NetworkInUseError,
  NetworkNotFoundError,
  networkNameProblem,
  SubnetOverlapError,
  validateNetworkName,
} from "./network-validation.js";
export {
  type DataplaneOptions,
  Dataplanes,
  DEFAULT_REGISTRY_DIR,
  hostKernel,
  openDataplane,
  registryDir,
  type StoreSource,
} from "./open-dataplane.js";
export {
  leaseProblem,
  OVERLAY_LEASE_FILE,
  OverlayConfigError,
  type OverlayLease,
  OverlayNotReadyError,
  overlayLeasePath,
  overlaySpec,
  readOverlayLease,
} from "./overlay/index.js";
export type { FirewallPort, KernelPort } from "./ports.js";
export type { NetworkNote } from "./reconcile.js";
export {
  DEFAULT_RECONCILE_GRACE_MS,
  DEFAULT_STALE_ATTACHMENT_GRACE_MS,
  REPAIR_KINDS,
  type ReconcileReport,
  type RepairKind,
} from "./reconcile-report.js";
export {
  type AssignedIp,
  type AttachRequest,
  type AttachResult,
  type DetachRequest,
  type HostPortRequest,
  IsolationLevel,
  type LinkRef,
  MACVLAN_MODES,
  type MacvlanMode,
  type NetworkDns,
  NetworkDriverType,
  type NetworkSpec,
  type RouteSpec,
  type SubnetSpec,
} from "./types.js";
export {
  buildNetwork,
  type CreateNetworkOptions,
  type DeleteNetworkOptions,
  type DeleteNetworkResult,
  type Network,
  type NetworkSubnet,
  toNetworkSpec,
  VirtualNetworkManager,
  type VirtualNetworkManagerOptions,
} from "./virtual-network-manager.js";
