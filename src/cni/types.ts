// Protocol shapes that no single result version owns (cni-spec.md §1, §3, §4): verbs, routes, DNS,
// GC attachments. Every result folder (v020/, v040/, v100/) builds on these.

/** The CNI verbs a runtime sets in CNI_COMMAND. */
export const CNI_COMMANDS = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"] as const;
export type CniCommand = (typeof CNI_COMMANDS)[number];

export function isCniCommand(value: string): value is CniCommand {
  return (CNI_COMMANDS as readonly string[]).includes(value);
}

/**
 * A route, shared by every result version. 1.1.0 added mtu/advmss/priority/table/scope; Go keeps
 * one Route type for all versions, so the extra fields survive conversions between 0.3+ versions.
 */
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  /** Lower = preferred. */
  priority?: number;
  table?: number;
  /** 0 global, 253 link, 254 host. */
  scope?: number;
}

/** The result's `dns` object (not the runtimeConfig `dns` capability, whose keys differ). */
export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** One (container, interface) attachment, as listed in GC's `cni.dev/valid-attachments`. */
export interface Attachment {
  containerID: string;
  ifname: string;
}

/** A route in Go's field order, without zero-valued mtu/advmss/priority (Go omits them). */
export function copyRoute(r: Route): Route {
  const out: Route = { dst: r.dst };
  if (r.gw !== undefined && r.gw !== "") out.gw = r.gw;
  if (r.mtu) out.mtu = r.mtu;
  if (r.advmss) out.advmss = r.advmss;
  if (r.priority) out.priority = r.priority;
  if (r.table !== undefined) out.table = r.table;
  if (r.scope !== undefined) out.scope = r.scope;
  return out;
}

/** The 0.1.0/0.2.0 route: destination and gateway only. */
export function basicRoute(r: Route): Route {
  const out: Route = { dst: r.dst };
  if (r.gw !== undefined && r.gw !== "") out.gw = r.gw;
  return out;
}

/** A copy of `dns` without empty fields; undefined when nothing is left (the in-memory "empty"). */
export function copyDns(dns: Dns | undefined): Dns | undefined {
  if (dns === undefined) return undefined;
  const out: Dns = {};
  if (dns.nameservers && dns.nameservers.length > 0) out.nameservers = [...dns.nameservers];
  if (dns.domain) out.domain = dns.domain;
  if (dns.search && dns.search.length > 0) out.search = [...dns.search];
  if (dns.options && dns.options.length > 0) out.options = [...dns.options];
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `list` when it has elements, else undefined: results omit empty arrays. */
export function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}
