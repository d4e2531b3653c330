// IP addresses as (family, bigint) so IPv4 and IPv6 share one arithmetic: a /64 has 2^64 addresses,
// beyond Number's exact range. Parsing is strict (dotted-quad IPv4, no zone ids) because the text
// form becomes a store key: two spellings of one address must never be two reservations.
import ipaddr from "ipaddr.js";

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

export interface Cidr {
  ip: Ip;
  prefixLength: number;
}

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Parses an address; returns null when text is not a plain IPv4 dotted quad or IPv6 address. */
export function tryParseIp(text: string): Ip | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    addr = ipaddr.IPv4.parse(text);
  } else if (text.includes(":") && ipaddr.IPv6.isValid(text)) {
    addr = ipaddr.IPv6.parse(text);
    if (addr.zoneId !== undefined) return null;
  } else {
    return null;
  }
  let value = 0n;
  for (const byte of addr.toByteArray()) value = (value << 8n) | BigInt(byte);
  return { family: addr.kind() === "ipv4" ? 4 : 6, value };
}

/** Parses "ip/len"; returns null when either part is malformed or len is out of range for the family. */
export function tryParseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const ip = tryParseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (ip === null || !/^\d{1,3}$/.test(lenText)) return null;
  const prefixLength = Number(lenText);
  if (prefixLength > bitsOf(ip.family)) return null;
  return { ip, prefixLength };
}

/**
 * Canonical text: dotted quad, or RFC 5952 compressed IPv6 (lowercase, longest run of two or more zero
 * groups as "::", the first on a tie), the same text ipaddr.js produces. Hand-written because the
 * allocator formats every candidate it probes, and going through ipaddr.js objects costs 5-17 µs each.
 */
export function formatIp(ip: Ip): string {
  if (ip.family === 4) {
    const n = Number(ip.value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const hi = ip.value >> 64n;
  const words = [
    Number(hi >> 32n),
    Number(hi & 0xffffffffn),
    Number((ip.value >> 32n) & 0xffffffffn),
    Number(ip.value & 0xffffffffn),
  ];
  const groups: number[] = [];
  for (const w of words) groups.push(w >>> 16, w & 0xffff);
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

/** The address with all host bits cleared. */
export function networkOf(ip: Ip, prefixLength: number): bigint {
  const host = bitsOf(ip.family) - prefixLength;
  return (ip.value >> BigInt(host)) << BigInt(host);
}

/** The last address of the prefix (the IPv4 broadcast address). */
export function lastOf(ip: Ip, prefixLength: number): bigint {
  const host = BigInt(bitsOf(ip.family) - prefixLength);
  return networkOf(ip, prefixLength) + (1n << host) - 1n;
}

/** Canonical text of a value in family, for messages and keys. */
export function ipText(family: Family, value: bigint): string {
  return formatIp({ family, value });
}

/** The address part of a CIDR: "10.22.0.5/24" → "10.22.0.5" (as the firewall elements hold it). */
export function addressOfCidr(cidr: string): string {
  return cidr.split("/")[0] ?? cidr;
}

/** The network of a CIDR with host bits: "10.22.0.5/24" → "10.22.0.0/24"; null when malformed. */
export function networkOfCidr(text: string): string | null {
  const c = tryParseCidr(text);
  if (c === null) return null;
  const hostBits = BigInt(bitsOf(c.ip.family) - c.prefixLength);
  const value = (c.ip.value >> hostBits) << hostBits;
  return `${formatIp({ family: c.ip.family, value })}/${c.prefixLength}`;
}

/** True when both addresses (CIDR form) lie in one subnet of the shorter of their two prefixes. */
export function sameSubnet(a: string, b: string): boolean {
  const ca = tryParseCidr(a);
  const cb = tryParseCidr(b);
  if (ca === null || cb === null || ca.ip.family !== cb.ip.family) return false;
  const len = Math.min(ca.prefixLength, cb.prefixLength);
  const shift = BigInt(bitsOf(ca.ip.family) - len);
  return ca.ip.value >> shift === cb.ip.value >> shift;
}

/** True when two CIDRs share at least one address (one contains the other's network). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = tryParseCidr(a);
  const y = tryParseCidr(b);
  if (!x || !y || x.ip.family !== y.ip.family) return false;
  const len = Math.min(x.prefixLength, y.prefixLength);
  return networkOf(x.ip, len) === networkOf(y.ip, len);
}
