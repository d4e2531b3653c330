// Address text <-> bytes for IPv4, IPv6 and MAC addresses, formatted the way iproute2 prints them
// (RFC 5952 for IPv6) so results compare directly with `ip -j` output.
import { isIPv4, isIPv6 } from "node:net";

export type Family = 4 | 6;

export interface IpBytes {
  family: Family;
  bytes: Buffer;
}

export interface Cidr extends IpBytes {
  prefixLen: number;
}

/** @throws TypeError for anything that is not a plain IPv4/IPv6 address. */
export function parseIp(text: string): IpBytes {
  if (isIPv4(text)) return { family: 4, bytes: Buffer.from(text.split(".").map(Number)) };
  if (isIPv6(text) && !text.includes("%")) return { family: 6, bytes: parseIpv6(text) };
  throw new TypeError(`not an IP address: "${text}"`);
}

/** "10.0.0.2/24" -> address bytes + prefix. A bare address gets a host prefix (/32, /128). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  const max = ip.family === 4 ? 32 : 128;
  if (slash === -1) return { ...ip, prefixLen: max };
  const p = text.slice(slash + 1);
  const prefixLen = Number(p);
  if (!/^\d{1,3}$/.test(p) || prefixLen > max) throw new TypeError(`bad prefix length in "${text}"`);
  return { ...ip, prefixLen };
}

export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length === 16) return formatIpv6(bytes);
  throw new RangeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
}

export function familyOf(bytes: Buffer): Family {
  return bytes.length === 4 ? 4 : 6;
}

/** The directed broadcast address of an IPv4 network (address with all host bits set). */
export function ipv4Broadcast(c: Cidr): Buffer {
  const v = c.bytes.readUInt32BE(0);
  const host = c.prefixLen === 0 ? 0xffffffff : (1 << (32 - c.prefixLen)) - 1;
  const out = Buffer.alloc(4);
  out.writeUInt32BE((v | host) >>> 0);
  return out;
}

/** "aa:bb:cc:dd:ee:ff" (case-insensitive) -> 6 bytes. */
export function parseMac(text: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) throw new TypeError(`not a MAC address: "${text}"`);
  return Buffer.from(text.replaceAll(":", ""), "hex");
}

export function formatMac(bytes: Buffer): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}

function parseIpv6(text: string): Buffer {
  let s = text;
  const out = Buffer.alloc(16);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes the last two groups.
  const dot = s.lastIndexOf(".");
  if (dot !== -1) {
    const colon = s.lastIndexOf(":");
    const v4 = Buffer.from(
      s
        .slice(colon + 1)
        .split(".")
        .map(Number),
    );
    s = `${s.slice(0, colon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head = "", tail] = s.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

function formatIpv6(b: Buffer): string {
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // IPv4-mapped addresses print with a dotted quad, as iproute2 and RFC 5952 do.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${Array.from(b.subarray(12)).join(".")}`;
  // Longest run of zero groups (length >= 2, first one wins) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best === -1) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
