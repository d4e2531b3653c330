// The package entry of quantum-cni: the library API, re-exports only.
//
//   import { CniConfig, CniManager, IsolationLevel, NetworkDriverType } from "quantum-cni";
//   const cniManager = new CniManager(CniConfig.default());
//   await cniManager.init();
//   const vnetManager = cniManager.networks;
//   const network = await vnetManager.createNetwork("my-network", "172.17.0.0/16", "172.17.0.1",
//     NetworkDriverType.Bridge, IsolationLevel.None);
//   await cniManager.installNetworkConfig(cniManager.generateNetworkConfig(network));

export { CniPlugin, type CniPluginOptions, cniMain } from "./cli/cni-plugin.js";
export {
  CniError,
  type CniVersion,
  CURRENT_VERSION,
  formatResult,
  type PluginConfig,
  parseConfList,
  parsePluginConfig,
  type Result,
  SUPPORTED_VERSIONS,
} from "./cni/index.js";
export { CniCommands, type CniCommandsOptions, type CniRequest } from "./manager/cni-commands.js";
export {
  CniConfig,
  type CniConfigOptions,
  CONFIG_ENV,
  DEFAULT_CONFIG_PATH,
  DEFAULT_DATA_DIR,
  DEFAULT_PLUGIN_PATH,
  DEFAULT_SOCKET_PATH,
} from "./manager/cni-config.js";
export {
  CniManager,
  type InstalledConfig,
  type NetworkConfigOptions,
  type VersionAnswer,
} from "./manager/cni-manager.js";
export { ForeignConfigError } from "./manager/config-files.js";
export {
  type ChainOptions,
  CONFLIST_VERSIONS,
  type GenerateOptions,
  generateConflist,
  MANAGED_KEY,
  type NetworkConfigList,
  PLUGIN_TYPE,
  type ValidatedConflist,
  validateConflist,
} from "./manager/conflist-generator.js";
export {
  type AuditDeps,
  auditNetworks,
  type Finding,
  type FindingKind,
  type RepairReport,
  repairFindings,
} from "./network/network-audit.js";
export {
  InvalidNetworkError,
  NETWORK_NAME_MAX,
  NETWORK_NAME_PATTERN,
  NetworkExistsError,
  NetworkInUseError,
  NetworkNotFoundError,
  networkNameProblem,
  SubnetOverlapError,
} from "./network/network-validation.js";
export { IsolationLevel, NetworkDriverType, type RouteSpec } from "./network/types.js";
export {
  type CreateNetworkOptions,
  type DeleteNetworkOptions,
  type DeleteNetworkResult,
  type MacvlanMode,
  type Network,
  type NetworkDns,
  type NetworkSubnet,
  VirtualNetworkManager,
  type VirtualNetworkManagerOptions,
} from "./network/virtual-network-manager.js";
export type { CniIo, CniMainOptions } from "./plugin/cni-main.js";
export type { PluginHandlers, PluginRequest } from "./plugin/handlers.js";
export { CniServer, type CniServerOptions, type ServerStatus } from "./server/index.js";
export { MemoryStore, SqliteStore, type Store } from "./store/index.js";
