// The manager layer's public face: CniManager and CniConfig, the CNI verbs (CniCommands), quantum's
// config parsing, conflist generation and install, and the error → CNI code mapping.

// What the daemon's event loop and quantumctl need of the layer below, through this face only.
export {
  canonicalSubnet,
  checkHostAddress,
  DEFAULT_RECONCILE_GRACE_MS,
  type DeferredLinkDeletion,
  type DockerDataplane,
  type DockerNetworkSpec,
  deleteLinksTogether,
  type Finding,
  finishDeferredDeletion,
  firstHost,
  HOLDER_IFNAME,
  IsolationLevel,
  type Network,
  plainAddress,
  prefixOf,
  type ReconcileReport,
  type RepairKind,
  subnetsOverlapText,
  type WiredEndpoint,
} from "../network/index.js";
export { CniCommands, type CniCommandsOptions, requestedIps } from "./cni-commands.js";
export {
  CniConfig,
  type CniConfigOptions,
  CONFIG_ENV,
  DEFAULT_CONFIG_PATH,
  DEFAULT_DATA_DIR,
  DEFAULT_PLUGIN_PATH,
  DEFAULT_SOCKET_PATH,
} from "./cni-config.js";
export { CniManager, type InstalledConfig, type NetworkConfigOptions, type VersionAnswer } from "./cni-manager.js";
export {
  conflistPath,
  ForeignConfigError,
  inspectConfigFile,
  removeOwnConfigFile,
  writeFileAtomic,
} from "./config-files.js";
export {
  type ChainOptions,
  CONFLIST_BASE_VERSION,
  CONFLIST_VERSIONS,
  type GenerateOptions,
  generateConflist,
  MANAGED_KEY,
  type NetworkConfigList,
  PLUGIN_TYPE,
  type ValidatedConflist,
  validateConflist,
} from "./conflist-generator.js";
export { openDockerDataplane } from "./docker-backend.js";
export { CODE_ADDRESS_UNAVAILABLE, CODE_DUPLICATE_ATTACHMENT, CODE_POOL_EXHAUSTED, toCniError } from "./errors.js";
export { parseQuantumConfig, type QuantumNetConf } from "./network-config.js";
export { DelegateError } from "./plugin-exec.js";
