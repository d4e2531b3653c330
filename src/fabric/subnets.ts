// Subnet arithmetic for the pool: which subnets exist, their etcd key form (flannel's
// "10.254.1.0-24"), the addresses a node uses inside its own subnet, and (dual-stack) the IPv6
// subnet paired with each IPv4 one by index, so one claim covers both families.
import ipaddr from "ipaddr.js";
import type { FabricConfig } from "./types.js";

export interface V4Cidr {
  /** The network address as an unsigned 32-bit integer. */
  base: number;
  prefixLen: number;
}

export function parseV4(text: string, what: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) throw new TypeError(`${what}: "${text}" is not an IPv4 address`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new TypeError(`${what}: "${text}" is not an IPv4 address`);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function formatV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses "a.b.c.d/len" with no host bits set (IPv6 pools are not supported yet: refused clearly). */
export function parseV4Cidr(text: string, what: string): V4Cidr {
  const [addr, len, extra] = text.split("/");
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32) {
    throw new TypeError(
      `${what}: "${text}" is not an IPv4 CIDR${text.includes(":") ? " (IPv6 pools are not supported yet)" : ""}`,
    );
  }
  const prefixLen = Number(len);
  const base = parseV4(addr, what);
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  if ((base & ~mask) >>> 0 !== 0) throw new TypeError(`${what}: "${text}" has host bits set`);
  return { base, prefixLen };
}

/** Every subnet of the pool that may be handed out, as CIDR text. Index 0 is skipped (flannel's SubnetMin). */
export function poolSubnets(c: FabricConfig): string[] {
  const net = parseV4Cidr(c.network, "network");
  let count = 2 ** (c.subnetLen - net.prefixLen);
  // Dual-stack: only indices that have an IPv6 partner.
  if (c.v6Network) {
    const bits6 = (c.v6SubnetLen ?? 64) - parseV6Cidr(c.v6Network, "v6Network").prefixLen;
    if (bits6 < 31) count = Math.min(count, 2 ** bits6);
  }
  const size = 2 ** (32 - c.subnetLen);
  const out: string[] = [];
  for (let i = 1; i < count; i++) out.push(`${formatV4((net.base + i * size) >>> 0)}/${c.subnetLen}`);
  return out;
}

/** "10.254.1.0/24" → "10.254.1.0-24" (etcd key segment, no slash). */
export function subnetKey(cidr: string): string {
  return cidr.replace("/", "-");
}

/** "10.254.1.0-24" → "10.254.1.0/24"; throws on anything else. */
export function subnetFromKey(key: string): string {
  const cidr = key.replace(/-(\d{1,2})$/, "/$1");
  parseV4Cidr(cidr, "subnet key");
  return cidr;
}

/** A node's addresses in its subnet: the VTEP (network address, /32 on the vxlan device) and the bridge gateway (.1). */
export function subnetAddresses(cidr: string): { vtep: string; gateway: string; prefixLen: number } {
  const c = parseV4Cidr(cidr, "subnet");
  return { vtep: formatV4(c.base), gateway: formatV4((c.base + 1) >>> 0), prefixLen: c.prefixLen };
}

export function subnetInPool(c: FabricConfig, cidr: string): boolean {
  const net = parseV4Cidr(c.network, "network");
  const s = parseV4Cidr(cidr, "subnet");
  if (s.prefixLen !== c.subnetLen) return false;
  const mask = (0xffffffff << (32 - net.prefixLen)) >>> 0;
  return (s.base & mask) >>> 0 === net.base && s.base !== net.base;
}

export interface V6Cidr {
  base: bigint;
  prefixLen: number;
}

function v6ToBig(text: string, what: string): bigint {
  if (!ipaddr.IPv6.isValid(text) || text.includes("%"))
    throw new TypeError(`${what}: "${text}" is not an IPv6 address`);
  let n = 0n;
  for (const b of ipaddr.IPv6.parse(text).toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

export function formatV6(n: bigint): string {
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function parseV6Cidr(text: string, what: string): V6Cidr {
  const [addr, len, extra] = text.split("/");
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,3}$/.test(len) || Number(len) > 128) {
    throw new TypeError(`${what}: "${text}" is not an IPv6 CIDR`);
  }
  const prefixLen = Number(len);
  const base = v6ToBig(addr, what);
  const hostBits = (1n << BigInt(128 - prefixLen)) - 1n;
  if ((base & hostBits) !== 0n) throw new TypeError(`${what}: "${text}" has host bits set`);
  return { base, prefixLen };
}

/** Dual-stack: the IPv6 subnet paired with an IPv4 pool subnet (same index in each pool); undefined without a v6 pool. */
export function v6SubnetFor(c: FabricConfig, v4cidr: string): string | undefined {
  if (!c.v6Network) return undefined;
  const len6 = c.v6SubnetLen ?? 64;
  const net = parseV4Cidr(c.network, "network");
  const s = parseV4Cidr(v4cidr, "subnet");
  const index = (s.base - net.base) / 2 ** (32 - c.subnetLen);
  const net6 = parseV6Cidr(c.v6Network, "v6Network");
  if (BigInt(index) >= 1n << BigInt(len6 - net6.prefixLen)) {
    throw new RangeError(`subnet ${v4cidr} has no IPv6 partner: ${c.v6Network} has fewer than ${index + 1} /${len6}s`);
  }
  return `${formatV6(net6.base + (BigInt(index) << BigInt(128 - len6)))}/${len6}`;
}

/** A node's IPv6 addresses: the VTEP (network address, /128 on the vxlan) and the bridge gateway (::1). */
export function v6SubnetAddresses(cidr: string): { vtep: string; gateway: string; prefixLen: number } {
  const c = parseV6Cidr(cidr, "v6 subnet");
  return { vtep: formatV6(c.base), gateway: formatV6(c.base + 1n), prefixLen: c.prefixLen };
}
