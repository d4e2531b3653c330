// Address checks shared by result parsing and config validation. Only dotted-quad IPv4 is accepted
// (ipaddr.js would also take "10", hex or octal forms, which Go's net.ParseIP rejects), and no
// IPv6 zone ids.
import ipaddr from "ipaddr.js";

export type IpFamily = 4 | 6;

/** Family of a plain IP address, or null when `s` is not one. IPv4-mapped IPv6 counts as 4, as in Go. */
export function ipFamily(s: string): IpFamily | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return 4;
  if (s.includes("%") || !ipaddr.IPv6.isValid(s)) return null;
  // "::ffff:1.2.3.4": Go's To4() sees IPv4.
  return ipaddr.IPv6.parse(s).isIPv4MappedAddress() ? 4 : 6;
}

export function isIp(s: string): boolean {
  return ipFamily(s) !== null;
}

/** Family of "ip/prefix", or null when `s` is not a CIDR (prefix 0..32 or 0..128). */
export function cidrFamily(s: string): IpFamily | null {
  const slash = s.indexOf("/");
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const prefix = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return null;
  const fam = ipFamily(addr);
  if (fam === null) return null;
  const bits = Number(prefix);
  const isV6Text = addr.includes(":");
  return bits <= (isV6Text ? 128 : 32) ? fam : null;
}

export function isCidr(s: string): boolean {
  return cidrFamily(s) !== null;
}

/** True when "ip/prefix" has no host bits set (e.g. 10.0.0.0/24, not 10.0.0.5/24). */
export function isNetworkCidr(s: string): boolean {
  if (!isCidr(s)) return false;
  const [addr, prefix] = ipaddr.parseCIDR(s);
  const bytes = addr.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

/** True when IP `ip` lies inside CIDR `cidr` (same family required). */
export function cidrContains(cidr: string, ip: string): boolean {
  if (!isCidr(cidr) || !isIp(ip)) return false;
  const range = ipaddr.parseCIDR(cidr);
  const addr = ipaddr.parse(ip);
  if (addr.kind() !== range[0].kind()) return false;
  return addr.match(range);
}

/** A MAC address in the colon-separated 6-byte form runtimes send ("c2:11:22:33:44:55"). */
export function isMac(s: string): boolean {
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s);
}
