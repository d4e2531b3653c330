/**
 * Host ports (the `portMappings` capability: Kubernetes hostPort) as nft scripts: pure text, no I/O.
 *
 * Four static maps hold every mapping of every network, one element per mapping:
 *   hp4 / hp6     `proto . port : address . port` for mappings on every local address (hostIP "");
 *   hp4ip / hp6ip `hostIP . proto . port : address . port` for mappings on one host address.
 * Two nat base chains (prerouting for packets arriving, output for the host's own, localhost
 * included, as the reference portmap plugin does) jump to `hostports` for local destinations, which
 * DNATs through the maps. Clients that would see the reply come from elsewhere than they sent to
 * (a pod reaching a host port, hairpin included, and localhost) are marked there and masqueraded
 * in postrouting. A container costs only map elements; each element's comment names its owner
 * (`<containerId>/<ifname>`), so DEL removes exactly the owner's mappings.
 */
import { STATIC } from "./names.js";
import { checkIp, elementComment } from "./validate.js";

export const HOSTPORT = {
  v4: "hp4",
  v4ip: "hp4ip",
  v6: "hp6",
  v6ip: "hp6ip",
  chain: "hostports",
  prerouting: "hostport_pre",
  output: "hostport_out",
} as const;

/** The packet-mark bit of a connection to masquerade (the reference portmap's default, bit 13). */
export const MASQ_MARK = 0x2000;

export type HostPortProtocol = "tcp" | "udp" | "sctp";

/** One mapping as the firewall programs it. */
export interface HostPortMapping {
  protocol: HostPortProtocol;
  hostPort: number;
  /** The container's address of the mapping's family. */
  containerIp: string;
  containerPort: number;
  /** A single host address to listen on; absent = every local address of the family. */
  hostIp?: string;
}

/** The owner recorded in each element's comment. */
export interface HostPortOwner {
  containerId: string;
  ifname: string;
}

const PROTOCOLS: readonly string[] = ["tcp", "udp", "sctp"];

function checkPort(p: number, what: string): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`invalid ${what} ${p}: want 1-65535`);
  return p;
}

/** The map of a mapping, and its normalised key and value text. */
export function hostPortElement(m: HostPortMapping): { map: string; key: string; value: string; family: 4 | 6 } {
  if (!PROTOCOLS.includes(m.protocol)) throw new TypeError(`invalid host port protocol ${JSON.stringify(m.protocol)}`);
  const hostPort = checkPort(m.hostPort, "host port");
  const containerPort = checkPort(m.containerPort, "container port");
  const ctr = checkIp(m.containerIp);
  const value = `${ctr.ip} . ${containerPort}`;
  if (m.hostIp === undefined) {
    return {
      map: ctr.family === 4 ? HOSTPORT.v4 : HOSTPORT.v6,
      key: `${m.protocol} . ${hostPort}`,
      value,
      family: ctr.family,
    };
  }
  const host = checkIp(m.hostIp);
  if (host.family !== ctr.family) {
    throw new TypeError(`host IP ${host.ip} and container IP ${ctr.ip} of a host port are of different families`);
  }
  return {
    map: ctr.family === 4 ? HOSTPORT.v4ip : HOSTPORT.v6ip,
    key: `${host.ip} . ${m.protocol} . ${hostPort}`,
    value,
    family: ctr.family,
  };
}

/**
 * The static objects (added to the table script: created once, chains flushed and refilled).
 * `t` is `inet <table>`, already checked.
 */
export function hostPortTableLines(t: string): string[] {
  const h = HOSTPORT;
  const mark = `meta mark set meta mark | 0x${MASQ_MARK.toString(16)}`;
  const fromPod = `iifname @${STATIC.bridges}`;
  const local4 = "ip saddr 127.0.0.0/8";
  const rules = [
    // Mark before DNAT (a nat verdict ends the chain): only when a mapping exists for the packet.
    `${fromPod} ip daddr . meta l4proto . th dport @${h.v4ip} ${mark}`,
    `${local4} ip daddr . meta l4proto . th dport @${h.v4ip} ${mark}`,
    `${fromPod} meta nfproto ipv4 meta l4proto . th dport @${h.v4} ${mark}`,
    `${local4} meta l4proto . th dport @${h.v4} ${mark}`,
    `${fromPod} ip6 daddr . meta l4proto . th dport @${h.v6ip} ${mark}`,
    `${fromPod} meta nfproto ipv6 meta l4proto . th dport @${h.v6} ${mark}`,
    `dnat ip to ip daddr . meta l4proto . th dport map @${h.v4ip}`,
    `meta nfproto ipv4 dnat ip to meta l4proto . th dport map @${h.v4}`,
    `dnat ip6 to ip6 daddr . meta l4proto . th dport map @${h.v6ip}`,
    `meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @${h.v6}`,
  ];
  return [
    `add map ${t} ${h.v4} { type inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add map ${t} ${h.v4ip} { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add map ${t} ${h.v6} { type inet_proto . inet_service : ipv6_addr . inet_service; }`,
    `add map ${t} ${h.v6ip} { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }`,
    `add chain ${t} ${h.chain}`,
    `add chain ${t} ${h.prerouting} { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${t} ${h.output} { type nat hook output priority -100; policy accept; }`,
    `flush chain ${t} ${h.chain}`,
    `flush chain ${t} ${h.prerouting}`,
    `flush chain ${t} ${h.output}`,
    ...rules.map((r) => `add rule ${t} ${h.chain} ${r}`),
    `add rule ${t} ${h.prerouting} fib daddr type local jump ${h.chain}`,
    `add rule ${t} ${h.output} fib daddr type local jump ${h.chain}`,
  ];
}

/** The postrouting rule (first in our postrouting chain): masquerade what `hostports` marked. */
export function hostPortMasqueradeRule(): string {
  const m = `0x${MASQ_MARK.toString(16)}`;
  return `meta mark & ${m} == ${m} ct status dnat masquerade`;
}

/**
 * Adds a container's mappings with `create`: a host port someone else holds fails the whole
 * transaction with "File exists" (the caller names the conflict), nothing half-added.
 */
export function addHostPortsScript(t: string, owner: HostPortOwner, mappings: readonly HostPortMapping[]): string {
  if (mappings.length === 0) return "";
  const comment = elementComment(owner);
  const lines = mappings.map((m) => {
    const e = hostPortElement(m);
    return `create element ${t} ${e.map} { ${e.key} comment "${comment}" : ${e.value} }`;
  });
  return `${lines.join("\n")}\n`;
}

/** Deletes the given elements (keys as listed, already owned by the container being removed). */
export function removeHostPortKeysScript(t: string, keys: readonly { map: string; key: string }[]): string {
  if (keys.length === 0) return "";
  return `${keys.map((k) => `delete element ${t} ${k.map} { ${k.key} }`).join("\n")}\n`;
}
