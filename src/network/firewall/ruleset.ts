/**
 * The Quantum CNI ruleset as `nft -f` scripts: pure text generation, no I/O.
 *
 * One table of ours (`table inet quantum`). Its base chains are static and dispatch on the input
 * interface through ifname→verdict maps, so a network costs map elements plus its own chains and
 * address sets, created once; a container costs only set elements. Each function's script is applied
 * as one nft transaction, atomic in the kernel, which is what makes every "ensure" safe to run
 * concurrently from several processes.
 *
 * Our `accept` only ends our own base chain (other tables still vote); our `drop` is final.
 */
import { createHash } from "node:crypto";
import { hostPortMasqueradeRule, hostPortTableLines } from "./hostports.js";
import { type NetworkObjectNames, networkNames, STATIC } from "./names.js";
import type { FirewallContainer, FirewallContainerRef, FirewallNetwork } from "./types.js";
import { type Cidr, checkIp, checkNetId, checkNetwork, checkTableName, elementComment } from "./validate.js";

/** Bump when the meaning of the generated rules changes without their text changing. */
const RULESET_VERSION = 1;
const MARKER_PREFIX = "quantum-net";
const MCAST4 = "224.0.0.0/4";
const MCAST6 = "ff00::/8";

function q(name: string): string {
  return `"${name}"`;
}

/**
 * The static part: table, maps, base chains and their rules. The base chains are flushed and
 * refilled in the same transaction, so re-running never duplicates a rule and an upgrade replaces them.
 */
export function tableScript(table: string): string {
  const t = `inet ${checkTableName(table)}`;
  const s = STATIC;
  return [
    `add table ${t}`,
    `add set ${t} ${s.bridges} { type ifname; }`,
    `add map ${t} ${s.fwdFrom} { type ifname : verdict; }`,
    `add map ${t} ${s.fwdTo} { type ifname : verdict; }`,
    `add map ${t} ${s.inFrom} { type ifname : verdict; }`,
    `add map ${t} ${s.natFrom} { type ifname : verdict; }`,
    `add chain ${t} ${s.forward} { type filter hook forward priority filter; policy accept; }`,
    `add chain ${t} ${s.input} { type filter hook input priority filter; policy accept; }`,
    `add chain ${t} ${s.postrouting} { type nat hook postrouting priority srcnat; policy accept; }`,
    `flush chain ${t} ${s.forward}`,
    `flush chain ${t} ${s.input}`,
    `flush chain ${t} ${s.postrouting}`,
    // Return traffic of a connection we let through; a refused first packet never creates an entry.
    `add rule ${t} ${s.forward} ct state established,related accept`,
    // Every network's `from` chain ends in a verdict, so `fwd_to` only sees packets from elsewhere.
    `add rule ${t} ${s.forward} iifname vmap @${s.fwdFrom}`,
    `add rule ${t} ${s.forward} oifname vmap @${s.fwdTo}`,
    `add rule ${t} ${s.input} iifname vmap @${s.inFrom}`,
    // Host ports (hostports.ts): their maps and nat chains, and their masquerade before any network's.
    ...hostPortTableLines(t),
    `add rule ${t} ${s.postrouting} ${hostPortMasqueradeRule()}`,
    // Forwarded packets keep their input device in postrouting; bridged ones (br_netfilter) and
    // the host's own have none, so they are never masqueraded.
    `add rule ${t} ${s.postrouting} iifname vmap @${s.natFrom}`,
  ].join("\n");
}

function set(cidrs: readonly Cidr[]): string {
  return `{ ${cidrs.map((c) => c.cidr).join(", ")} }`;
}

/** Rules of the network's forward chain for packets from its bridge. Every path ends in a verdict. */
function fromRules(net: FirewallNetwork, n: NetworkObjectNames, marker: string): string[] {
  const br = q(net.bridge);
  // iif == oif == bridge: bridged traffic seen through br_netfilter, or routed hairpin via the
  // gateway. Allowed within the network, except strict where containers reach only the gateway
  // (port isolation stops L2; this stops the detour through the gateway's router).
  const rules = [
    `oifname ${br} ${net.isolation === "strict" ? "drop" : "accept"}`,
    `oifname @${STATIC.bridges} drop comment "${marker}"`,
  ];
  if (net.isolation !== "none") return [...rules, "drop"];
  return [
    ...rules,
    // Anti-spoofing: only the addresses we gave the network's containers leave it.
    `ip saddr != @${n.addrs4} drop`,
    `ip6 saddr != @${n.addrs6} drop`,
    "accept",
  ];
}

/** Packets routed into the network's bridge from a non-quantum interface. */
function toRules(net: FirewallNetwork): string[] {
  return [`iifname @${STATIC.bridges} drop`, net.isolation === "none" ? "accept" : "drop"];
}

/** internal/strict: from the bridge the host answers only on the network's own addresses (the gateway). */
function inputRules(net: FirewallNetwork, v4: Cidr[], v6: Cidr[]): string[] {
  if (net.isolation === "none") return [];
  // With no subnet of a family, only its link-level traffic reaches the host.
  const not4 = v4.length > 0 ? `ip daddr != ${set(v4)} ` : "";
  const not6 = v6.length > 0 ? `ip6 daddr != ${set(v6)} ` : "";
  return [
    `${not4}ip daddr != { ${MCAST4}, 255.255.255.255 } drop`,
    // Link-local and multicast carry neighbour discovery with the gateway.
    `${not6}ip6 daddr != { fe80::/10, ${MCAST6} } drop`,
  ];
}

function natRules(net: FirewallNetwork, n: NetworkObjectNames, v4: Cidr[], v6: Cidr[]): string[] {
  if (!net.ipMasq) return [];
  const out = `oifname != ${q(net.bridge)}`;
  const rules: string[] = [];
  if (v4.length > 0) rules.push(`${out} ip saddr @${n.addrs4} ip daddr != ${set(v4)} ip daddr != ${MCAST4} masquerade`);
  if (v6.length > 0)
    rules.push(`${out} ip6 saddr @${n.addrs6} ip6 daddr != ${set(v6)} ip6 daddr != ${MCAST6} masquerade`);
  return rules;
}

export interface NetworkScript {
  script: string;
  /**
   * The comment carried by one rule of the network's `from` chain: a digest of the whole script.
   * Finding it in the kernel means this exact ruleset is in place and the transaction can be skipped.
   */
  marker: string;
}

/**
 * Creates or refreshes a network: the static part, then the network's sets (never flushed: they hold
 * the containers), its chains flushed and refilled, and its map elements. Idempotent.
 */
export function ensureNetworkScript(table: string, network: FirewallNetwork): NetworkScript {
  const { net, subnets } = checkNetwork(network);
  const t = `inet ${checkTableName(table)}`;
  const n = networkNames(net.id);
  const v4 = subnets.filter((c) => c.family === 4);
  const v6 = subnets.filter((c) => c.family === 6);
  const br = q(net.bridge);
  const chains: [string, (marker: string) => string[]][] = [
    [n.from, (m) => fromRules(net, n, m)],
    [n.to, () => toRules(net)],
    [n.input, () => inputRules(net, v4, v6)],
    [n.nat, () => natRules(net, n, v4, v6)],
  ];
  const body = (marker: string): string =>
    [
      tableScript(table),
      `add set ${t} ${n.addrs4} { type ipv4_addr; }`,
      `add set ${t} ${n.addrs6} { type ipv6_addr; }`,
      ...chains.map(([c]) => `add chain ${t} ${c}`),
      ...chains.map(([c]) => `flush chain ${t} ${c}`),
      ...chains.flatMap(([c, rules]) => rules(marker).map((r) => `add rule ${t} ${c} ${r}`)),
      `add element ${t} ${STATIC.bridges} { ${br} }`,
      `add element ${t} ${STATIC.fwdFrom} { ${br} : jump ${n.from} }`,
      `add element ${t} ${STATIC.fwdTo} { ${br} : jump ${n.to} }`,
      `add element ${t} ${STATIC.inFrom} { ${br} : jump ${n.input} }`,
      `add element ${t} ${STATIC.natFrom} { ${br} : jump ${n.nat} }`,
      "",
    ].join("\n");
  const digest = createHash("sha256")
    .update(`${RULESET_VERSION}\n${body("")}`)
    .digest("hex")
    .slice(0, 16);
  const marker = `${MARKER_PREFIX} ${digest}`;
  return { script: body(marker), marker };
}

function elements(ips: readonly string[], comment: string | undefined): { v4: string[]; v6: string[] } {
  const out = { v4: [] as string[], v6: [] as string[] };
  for (const raw of ips) {
    const { ip, family } = checkIp(raw);
    const e = comment === undefined ? ip : `${ip} comment "${comment}"`;
    (family === 4 ? out.v4 : out.v6).push(e);
  }
  return out;
}

function elementLines(verb: string, t: string, n: NetworkObjectNames, e: { v4: string[]; v6: string[] }): string[] {
  const lines: string[] = [];
  if (e.v4.length > 0) lines.push(`${verb} element ${t} ${n.addrs4} { ${e.v4.join(", ")} }`);
  if (e.v6.length > 0) lines.push(`${verb} element ${t} ${n.addrs6} { ${e.v6.join(", ")} }`);
  return lines;
}

export type AddMode =
  /** `create`: fails with "File exists" if any address is already an element (fast, no delete). */
  | "create"
  /** Replaces existing elements so their comment names the new owner (add, delete, add: costs a delete). */
  | "replace";

/** Adds a container's addresses to its network's sets, with the attachment in each element's comment. */
export function addContainerScript(table: string, netId: string, c: FirewallContainer, mode: AddMode): string {
  const t = `inet ${checkTableName(table)}`;
  const n = networkNames(checkNetId(netId));
  const e = elements(c.ips, elementComment(c));
  if (e.v4.length + e.v6.length === 0) return "";
  const bare = elements(c.ips, undefined);
  const lines =
    mode === "create"
      ? elementLines("create", t, n, e)
      : [...elementLines("add", t, n, bare), ...elementLines("delete", t, n, bare), ...elementLines("add", t, n, e)];
  return `${lines.join("\n")}\n`;
}

/**
 * Removes the addresses of any number of containers in one transaction. nft 1.0.6 has no
 * `destroy`, and `delete` of a missing element fails: adding each element first in the same
 * transaction makes the delete always succeed (a missing element is added then removed).
 */
export function removeContainersScript(table: string, netId: string, items: readonly FirewallContainerRef[]): string {
  const t = `inet ${checkTableName(table)}`;
  const n = networkNames(checkNetId(netId));
  const unique = [...new Set(items.flatMap((i) => i.ips.map((ip) => checkIp(ip).ip)))];
  const e = elements(unique, undefined);
  if (e.v4.length + e.v6.length === 0) return "";
  return `${[...elementLines("add", t, n, e), ...elementLines("delete", t, n, e)].join("\n")}\n`;
}

/** Removes a network's map elements, chains and sets (rules go first: they reference the sets). */
export function removeNetworkScript(table: string, netId: string, bridge: string): string {
  const t = `inet ${checkTableName(table)}`;
  const n = networkNames(checkNetId(netId));
  const br = q(bridge);
  const chains = [n.from, n.to, n.input, n.nat];
  return [
    `delete element ${t} ${STATIC.fwdFrom} { ${br} }`,
    `delete element ${t} ${STATIC.fwdTo} { ${br} }`,
    `delete element ${t} ${STATIC.inFrom} { ${br} }`,
    `delete element ${t} ${STATIC.natFrom} { ${br} }`,
    `delete element ${t} ${STATIC.bridges} { ${br} }`,
    ...chains.map((c) => `flush chain ${t} ${c}`),
    ...chains.map((c) => `delete chain ${t} ${c}`),
    `delete set ${t} ${n.addrs4}`,
    `delete set ${t} ${n.addrs6}`,
    "",
  ].join("\n");
}

/** Deletes the whole table; adding it first makes the delete succeed when it is already gone. */
export function removeTableScript(table: string): string {
  const t = `inet ${checkTableName(table)}`;
  return `add table ${t}\ndelete table ${t}\n`;
}
