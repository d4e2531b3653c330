// The parts of `ip -j` / `bridge -j` output the kernel tests compare against.
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  address?: string;
  link_index?: number;
  link_netnsid?: number;
  operstate: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
}

export interface IpAddrInfo {
  family: "inet" | "inet6";
  local: string;
  prefixlen: number;
  scope: string;
  broadcast?: string;
}

export interface IpAddr {
  ifindex: number;
  ifname: string;
  addr_info: IpAddrInfo[];
}

export interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  table?: string;
  metrics?: { mtu?: number; advmss?: number }[];
}

export interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

export interface BridgeFdb {
  mac: string;
  ifname?: string;
  dst?: string;
  master?: string;
  flags: string[];
  state?: string;
}
