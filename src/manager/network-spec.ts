import type { PluginConfig } from "../cni/index.js";
import { defaultBridgeName, networkId } from "../network/network-ids.js";
import { overlaySpec } from "../network/overlay/index.js";
import { IsolationLevel, type NetworkDriverType, type NetworkSpec, type SubnetSpec } from "../network/types.js";

/** Where the built-in store lives unless the config says `dataDir`. */
export const DEFAULT_DATA_DIR = "/var/lib/quantum";
/** The reference bridge plugin's default bridge, kept for drop-in configs. */
const REFERENCE_BRIDGE = "cni0";

// Moved to the network layer (VirtualNetworkManager derives them too); re-exported for existing callers.
export { defaultBridgeName, networkId };

/**
 * Translates a validated plugin config into the network model. Two dialects:
 * - native (no `ipam` section): built-in IPAM on `subnet`/`subnets`, the gateway on the bridge,
 *   a default route via it;
 * - drop-in for the reference bridge plugin (`ipam` present): addresses come from the IPAM plugin
 *   (`"ipam": {}` = layer 2 only, no addresses), `isGateway`/`isDefaultGateway` mean what they
 *   mean there, bridge defaults to "cni0".
 */
export function specFromConfig(config: PluginConfig): NetworkSpec {
  const delegated = config.ipam !== undefined;
  const subnets: SubnetSpec[] = delegated
    ? []
    : config.subnets.map((subnet) => {
        const gw = config.gateway && sameFamily(config.gateway, subnet) ? config.gateway : undefined;
        return gw ? { subnet, gateway: gw } : { subnet };
      });
  const spec: NetworkSpec = {
    name: config.name,
    id: networkId(config.name),
    driver: config.driver as NetworkDriverType,
    isolation: config.isolation as IsolationLevel,
    subnets,
    routes: config.routes.map((r) => ({ ...r })),
    bridge: config.bridge ?? (delegated ? REFERENCE_BRIDGE : defaultBridgeName(config.name)),
    ipMasq: config.ipMasq,
    hairpinMode: config.hairpinMode,
    promiscMode: config.promiscMode,
    isGateway: delegated ? config.isGateway : true,
    isDefaultGateway: delegated ? config.isDefaultGateway : true,
    forceAddress: config.forceAddress,
  };
  if (config.mtu !== undefined) spec.mtu = config.mtu;
  if (config.master !== undefined) spec.master = config.master;
  if (config.macvlanMode !== undefined) spec.macvlanMode = config.macvlanMode;
  if (spec.isolation === undefined) spec.isolation = IsolationLevel.None;
  // Overlay: subnet and MTU come from this node's fabric lease (a local file, never etcd).
  if (config.driver === "overlay") return overlaySpec(spec, config.dataDir ?? DEFAULT_DATA_DIR);
  return spec;
}

function sameFamily(ip: string, cidr: string): boolean {
  return ip.includes(":") === cidr.includes(":");
}
