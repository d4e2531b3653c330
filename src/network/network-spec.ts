// The one defaults function of the network model. Every way a network comes to exist (a plugin
// config, a VirtualNetworkManager record, a Docker network) states what it knows and gets the rest
// from here, so two callers can never disagree on a default.
import { defaultBridgeName, networkId } from "./network-ids.js";
import {
  IsolationLevel,
  type MacvlanMode,
  type NetworkDns,
  NetworkDriverType,
  type NetworkSpec,
  type RouteSpec,
  type SubnetSpec,
} from "./types.js";

/** What a caller knows about a network; everything else takes its default. */
export interface NetworkSpecInput {
  name: string;
  driver?: NetworkDriverType;
  isolation?: IsolationLevel;
  subnets?: SubnetSpec[];
  routes?: RouteSpec[];
  /** Default `qbr-<name>` (or a hash of the name when that does not fit an ifname). */
  bridge?: string;
  mtu?: number;
  ipMasq?: boolean;
  hairpinMode?: boolean;
  promiscMode?: boolean;
  /** Default true: the gateway address goes on the bridge. */
  isGateway?: boolean;
  /** Default true: containers get a default route per family via its gateway. */
  isDefaultGateway?: boolean;
  forceAddress?: boolean;
  master?: string;
  macvlanMode?: MacvlanMode;
  dns?: NetworkDns;
}

export function networkSpec(input: NetworkSpecInput): NetworkSpec {
  const spec: NetworkSpec = {
    name: input.name,
    id: networkId(input.name),
    driver: input.driver ?? NetworkDriverType.Bridge,
    isolation: input.isolation ?? IsolationLevel.None,
    subnets: (input.subnets ?? []).map((s) => ({ ...s })),
    routes: (input.routes ?? []).map((r) => ({ ...r })),
    bridge: input.bridge ?? defaultBridgeName(input.name),
    ipMasq: input.ipMasq ?? false,
    hairpinMode: input.hairpinMode ?? false,
    promiscMode: input.promiscMode ?? false,
    isGateway: input.isGateway ?? true,
    isDefaultGateway: input.isDefaultGateway ?? true,
    forceAddress: input.forceAddress ?? false,
  };
  if (input.mtu !== undefined) spec.mtu = input.mtu;
  if (input.master !== undefined) spec.master = input.master;
  if (input.macvlanMode !== undefined) spec.macvlanMode = input.macvlanMode;
  if (input.dns !== undefined) spec.dns = structuredClone(input.dns);
  return spec;
}
