/**
 * The network model, declared once: the manager parses a plugin config straight into a NetworkSpec
 * (manager/network-config.ts), VirtualNetworkManager keeps a Network (a NetworkSpec plus its record),
 * and both get their defaults from networkSpec() (network-spec.ts). Nothing here knows CNI JSON.
 */

import type { PodIdentity } from "../store/index.js";

export enum NetworkDriverType {
  Bridge = "bridge",
  Macvlan = "macvlan",
  /** Multi-host: a bridge on this node's fabric subnet, other nodes reached over VXLAN (network/overlay/). */
  Overlay = "overlay",
}

export enum IsolationLevel {
  /** Containers of a network reach each other, the gateway and (routed) the outside. */
  None = "none",
  /** No forwarding out of the network nor into it from elsewhere. */
  Internal = "internal",
  /** Internal, plus bridge port isolation: containers reach only the gateway. */
  Strict = "strict",
}

/** Macvlan modes (the kernel's names). */
export const MACVLAN_MODES = ["bridge", "private", "vepa", "passthru"] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];

/** DNS settings handed to containers (the CNI result's `dns`). */
export interface NetworkDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** One address range of a subnet (host-local's `range`). */
export interface SubnetSpec {
  subnet: string;
  gateway?: string;
  rangeStart?: string;
  rangeEnd?: string;
}

export interface RouteSpec {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface NetworkSpec {
  name: string;
  /** Short stable id (hex) used in firewall object names. */
  id: string;
  driver: NetworkDriverType;
  isolation: IsolationLevel;
  /** Built-in IPAM: at most one IPv4 and one IPv6 subnet. Empty when IPAM is delegated. */
  subnets: SubnetSpec[];
  routes: RouteSpec[];
  bridge: string;
  mtu?: number;
  ipMasq: boolean;
  hairpinMode: boolean;
  promiscMode: boolean;
  /** Put the gateway address(es) on the bridge. */
  isGateway: boolean;
  /** Add a default route via the gateway in the container. */
  isDefaultGateway: boolean;
  forceAddress: boolean;
  /** Macvlan parent link and mode. */
  master?: string;
  macvlanMode?: MacvlanMode;
  /** Handed to containers in the result; drivers do not read it. */
  dns?: NetworkDns;
  /** Why no new container may join now (overlay: no fabric lease, or self-fenced); STATUS reports it. */
  notReady?: string;
}

/** An address to configure in the container (from built-in or delegated IPAM). */
export interface AssignedIp {
  /** CIDR form, e.g. "10.1.0.5/24". */
  address: string;
  gateway?: string;
  family: 4 | 6;
}

export interface AttachRequest {
  containerId: string;
  ifname: string;
  netnsPath: string;
  /** Addresses asked for by the runtime (runtimeConfig.ips, args.cni.ips, CNI_ARGS IP). */
  requestedIps: string[];
  mac?: string;
  /** Set when an IPAM plugin decided the addresses: built-in IPAM is skipped. */
  delegatedIps?: AssignedIp[];
  /** Host ports to DNAT to the container (runtimeConfig.portMappings). */
  hostPorts?: HostPortRequest[];
  /** The Kubernetes pod (CNI_ARGS K8S_POD_*), kept with the attachment record. */
  pod?: PodIdentity;
}

/** One host port asked for (Kubernetes hostPort): hostPort 0 means none. */
export interface HostPortRequest {
  protocol: "tcp" | "udp" | "sctp";
  hostPort: number;
  containerPort: number;
  /** One host address to listen on; absent or "" = every local address. */
  hostIp?: string;
}

export interface LinkRef {
  name: string;
  mac: string;
  sandbox?: string;
}

export interface AttachResult {
  /** [bridge (or parent), host end, container end] — the order of the CNI result's interfaces. */
  interfaces: LinkRef[];
  ips: AssignedIp[];
  routes: RouteSpec[];
}

export interface DetachRequest {
  containerId: string;
  ifname: string;
  /** Empty or absent when the runtime no longer knows the netns (containerd's DEL). */
  netnsPath?: string;
}
