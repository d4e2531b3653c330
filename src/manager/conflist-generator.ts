// The conflist of a network: what a runtime reads from the CNI config directory. Our plugin first
// (driver, subnets, gateway, routes, dns, mtu, isolation, ...), then optional chained plugins of
// the reference set (portmap, tuning, bandwidth) with their capabilities. The list carries a mark
// (MANAGED_KEY) so we can tell our files from anyone else's; libcni ignores unknown list keys.
import {
  CniError,
  CODE_INVALID_NETWORK_CONFIG,
  type ConfList,
  type PluginConfig,
  parseConfList,
  parsePluginConfig,
  versionAtLeast,
} from "../cni/index.js";
import { type Network, NetworkDriverType } from "../network/index.js";
import { DEFAULT_DATA_DIR, parseQuantumConfig, type QuantumNetConf } from "./network-config.js";

/** Top-level list key marking a conflist written by Quantum CNI. */
export const MANAGED_KEY = "quantum.managed";
/** Our plugin's `type` (the executable's name in the plugin directory). */
export const PLUGIN_TYPE = "quantum";
/** Versions a runtime may choose besides `cniVersion` (conflists exist since 0.3.0). */
export const CONFLIST_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
/**
 * The list's `cniVersion`: 1.0.0, not 1.1.0. libcni before 1.2 (podman 4.x, containerd 1.6/1.7) ignores
 * `cniVersions`, injects `cniVersion` as is, and cannot parse a 1.1.0 result ("unsupported CNI result
 * version"): podman 4.3 fails every `podman run`. A libcni that reads `cniVersions` still picks 1.1.0.
 */
export const CONFLIST_BASE_VERSION = "1.0.0";
/** The reference plugins (containernetworking-plugins ≤ 1.4) speak at most 1.0.0. */
const CHAINED_MAX_VERSION = "1.0.0";

/** A generated conflist, as JSON. */
export interface NetworkConfigList {
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  plugins: Record<string, unknown>[];
  [MANAGED_KEY]?: boolean;
  [key: string]: unknown;
}

export interface ChainOptions {
  /** Chain the reference `portmap` plugin (capability portMappings). Extra keys are copied into its entry. */
  portmap?: boolean | Record<string, unknown>;
  /** Chain the reference `tuning` plugin (capability mac; sysctls etc. from the object). */
  tuning?: boolean | Record<string, unknown>;
  /** Chain the reference `bandwidth` plugin (capability bandwidth). */
  bandwidth?: boolean | Record<string, unknown>;
}

export interface GenerateOptions extends ChainOptions {
  /**
   * Declare the portMappings and dns capabilities on quantum's own entry: quantum maps host ports
   * in its nftables table and answers the runtime's DNS. Not together with `portmap` (two DNATs).
   */
  hostPorts?: boolean;
  /** Written as `dataDir` when not the default `/var/lib/quantum`. */
  dataDir?: string;
  /** Written as `socketPath` when set (the daemon's socket, if not the default). */
  socketPath?: string;
  disableCheck?: boolean;
}

/**
 * Builds the conflist of a network.
 * @example generateConflist(network, { portmap: true, dataDir: "/srv/quantum" })
 */
export function generateConflist(network: Network, options: GenerateOptions = {}): NetworkConfigList {
  const ours: Record<string, unknown> = { type: PLUGIN_TYPE, driver: network.driver };
  if (network.subnets.length === 1) ours["subnet"] = network.subnet;
  else ours["subnets"] = network.subnets.map((s) => s.subnet);
  ours["gateway"] = network.gateway;
  ours["routes"] = network.routes.map((r) => ({ ...r }));
  if (network.dns && Object.keys(network.dns).length > 0) ours["dns"] = structuredClone(network.dns);
  if (network.mtu !== undefined) ours["mtu"] = network.mtu;
  ours["isolation"] = network.isolation;
  ours["ipMasq"] = network.ipMasq;
  if (network.driver === NetworkDriverType.Bridge && network.bridge) ours["bridge"] = network.bridge;
  if (network.driver === NetworkDriverType.Macvlan) {
    ours["master"] = network.master;
    if (network.macvlanMode) ours["macvlanMode"] = network.macvlanMode;
  }
  if (options.dataDir && options.dataDir !== DEFAULT_DATA_DIR) ours["dataDir"] = options.dataDir;
  if (options.socketPath) ours["socketPath"] = options.socketPath;
  if (options.hostPorts && options.portmap) {
    throw new CniError(
      CODE_INVALID_NETWORK_CONFIG,
      `network "${network.name}": host ports either by quantum itself or by the chained portmap plugin, not both`,
    );
  }
  ours["capabilities"] = options.hostPorts
    ? { ips: true, mac: true, portMappings: true, dns: true }
    : { ips: true, mac: true };

  const plugins: Record<string, unknown>[] = [ours];
  const chain = (key: keyof ChainOptions, base: Record<string, unknown>) => {
    const o = options[key];
    if (!o) return;
    plugins.push({ ...base, ...(typeof o === "object" ? o : {}), type: key });
  };
  chain("tuning", { capabilities: { mac: true } });
  chain("portmap", { capabilities: { portMappings: true }, snat: true });
  chain("bandwidth", { capabilities: { bandwidth: true } });

  // A chained reference plugin rejects 1.1.0: offer a libcni that reads `cniVersions` only what
  // every plugin of the list speaks.
  const chained = plugins.length > 1;
  const list: NetworkConfigList = {
    cniVersion: CONFLIST_BASE_VERSION,
    cniVersions: chained
      ? CONFLIST_VERSIONS.filter((v) => versionAtLeast(CHAINED_MAX_VERSION, v))
      : [...CONFLIST_VERSIONS],
    name: network.name,
    [MANAGED_KEY]: true,
    plugins,
  };
  if (options.disableCheck) list.disableCheck = true;
  return list;
}

/** A conflist that passed validation: the parsed list and our plugin's parsed config. */
export interface ValidatedConflist {
  list: ConfList;
  /** Our plugin entries, each as the plugin would parse it (with the list's name and version). */
  quantum: { config: PluginConfig; net: QuantumNetConf }[];
}

/**
 * Validates a conflist as libcni and our plugin would read it: the list keys (parseConfList) and
 * each `quantum` entry (parsePluginConfig, with the list's name and chosen version injected).
 * @throws CniError (code 6/7/1) whose message names the plugin entry and field.
 */
export function validateConflist(conf: NetworkConfigList | string): ValidatedConflist {
  const list = parseConfList(typeof conf === "string" ? conf : (conf as Record<string, unknown>));
  if (list.plugins.length === 0) {
    throw new CniError(CODE_INVALID_NETWORK_CONFIG, `conflist "${list.name}" has no plugins`);
  }
  const quantum: ValidatedConflist["quantum"] = [];
  list.plugins.forEach((p, i) => {
    if (p.type !== PLUGIN_TYPE) return;
    try {
      const config = parsePluginConfig({ ...p, cniVersion: list.cniVersion, name: list.name });
      quantum.push({ config, net: parseQuantumConfig(config) });
    } catch (err) {
      const e = err as CniError;
      throw new CniError(e.code ?? CODE_INVALID_NETWORK_CONFIG, `plugins[${i}] (type "${p.type}"): ${e.message}`);
    }
  });
  return { list, quantum };
}
