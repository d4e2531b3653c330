// The package entry of quantum-cni: the library API, re-exports only (from each layer's public face).
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
  type CniIo,
  type CniMainOptions,
  type CniVersion,
  CURRENT_VERSION,
  type DispatchOutcome,
  formatResult,
  type PluginConfig,
  type PluginHandlers,
  type PluginRequest,
  parseConfList,
  parsePluginConfig,
  type Result,
  SUPPORTED_VERSIONS,
} from "./cni/index.js";
export {
  type ChainOptions,
  CniCommands,
  type CniCommandsOptions,
  CniConfig,
  type CniConfigOptions,
  CniManager,
  CONFIG_ENV,
  CONFLIST_VERSIONS,
  DEFAULT_CONFIG_PATH,
  DEFAULT_DATA_DIR,
  DEFAULT_PLUGIN_PATH,
  DEFAULT_SOCKET_PATH,
  ForeignConfigError,
  type GenerateOptions,
  generateConflist,
  type InstalledConfig,
  MANAGED_KEY,
  type NetworkConfigList,
  type NetworkConfigOptions,
  PLUGIN_TYPE,
  parseQuantumConfig,
  type QuantumNetConf,
  type ValidatedConflist,
  type VersionAnswer,
  validateConflist,
} from "./manager/index.js";
export {
  type AuditDeps,
  auditNetworks,
  type CreateNetworkOptions,
  type Dataplane,
  type DataplaneOptions,
  type DeleteNetworkOptions,
  type DeleteNetworkResult,
  type Finding,
  type FindingKind,
  InvalidNetworkError,
  IsolationLevel,
  type MacvlanMode,
  NETWORK_NAME_MAX,
  NETWORK_NAME_PATTERN,
  type Network,
  type NetworkDns,
  NetworkDriverType,
  NetworkExistsError,
  NetworkInUseError,
  NetworkNotFoundError,
  type NetworkSpec,
  type NetworkSubnet,
  networkNameProblem,
  openDataplane,
  type RepairReport,
  type RouteSpec,
  repairFindings,
  SubnetOverlapError,
  VirtualNetworkManager,
  type VirtualNetworkManagerOptions,
} from "./network/index.js";
export { CniServer, type CniServerOptions, type ServerStatus } from "./server/index.js";
export { SqliteStore, type Store } from "./store/index.js";
