/**
 * Input checks before anything reaches an nft script: every name and address we interpolate is
 * checked here, so a script can never be broken (or extended) by a quote or a newline in a value.
 */
import { createHash } from "node:crypto";
import ipaddr from "ipaddr.js";
import type { FirewallContainer, FirewallNetwork } from "./types.js";

const TABLE_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const NET_ID_RE = /^[A-Za-z0-9_]{1,16}$/;
/** Linux allows almost any byte in an ifname; we only accept what needs no quoting care. */
const IFNAME_RE = /^[A-Za-z0-9_.@+-]{1,15}$/;
/** The CNI spec's container id alphabet. */
const CONTAINER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** nftables keeps at most 128 bytes of an element's comment. */
export const MAX_COMMENT = 128;

export interface Cidr {
  family: 4 | 6;
  /** Normalised: network address / prefix, e.g. "10.88.0.0/16". */
  cidr: string;
  parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

export function checkTableName(name: string): string {
  if (!TABLE_RE.test(name)) throw new TypeError(`invalid nftables table name ${JSON.stringify(name)}`);
  return name;
}

export function checkNetId(id: string): string {
  if (!NET_ID_RE.test(id)) {
    throw new TypeError(`invalid firewall network id ${JSON.stringify(id)}: want 1-16 of [A-Za-z0-9_]`);
  }
  return id;
}

export function checkIfname(name: string, what: string): string {
  if (!IFNAME_RE.test(name))
    throw new TypeError(`invalid ${what} ${JSON.stringify(name)}: want 1-15 of [A-Za-z0-9_.@+-]`);
  return name;
}

/** A plain address (no prefix), normalised ("fd00:0::5" → "fd00::5"). */
export function checkIp(ip: string): { ip: string; family: 4 | 6 } {
  if (ipaddr.IPv4.isValidFourPartDecimal(ip)) return { ip: ipaddr.IPv4.parse(ip).toString(), family: 4 };
  if (ipaddr.IPv6.isValid(ip) && !ip.includes("/")) return { ip: ipaddr.IPv6.parse(ip).toString(), family: 6 };
  throw new TypeError(`invalid IP address ${JSON.stringify(ip)}: want a plain IPv4 or IPv6 address`);
}

export function checkCidr(cidr: string): Cidr {
  const [addr, len] = cidr.split("/");
  if (addr !== undefined && len !== undefined && /^\d{1,3}$/.test(len)) {
    if (ipaddr.IPv4.isValidFourPartDecimal(addr) && ipaddr.IPv4.isValidCIDR(cidr)) {
      const net = ipaddr.IPv4.networkAddressFromCIDR(cidr);
      return { family: 4, cidr: `${net.toString()}/${len}`, parsed: [net, Number(len)] };
    }
    if (ipaddr.IPv6.isValidCIDR(cidr)) {
      const net = ipaddr.IPv6.networkAddressFromCIDR(cidr);
      return { family: 6, cidr: `${net.toString()}/${len}`, parsed: [net, Number(len)] };
    }
  }
  throw new TypeError(`invalid subnet ${JSON.stringify(cidr)}: want a CIDR such as 10.88.0.0/16 or fd00::/64`);
}

/** Subnets deduplicated, and those inside another dropped: nft refuses overlapping intervals in one set. */
export function checkSubnets(subnets: readonly string[], what: string): Cidr[] {
  if (subnets.length === 0) throw new TypeError(`${what}: no subnets`);
  const all = subnets.map(checkCidr);
  return all.filter((a, i) => {
    return !all.some((b, j) => {
      if (j === i || a.family !== b.family) return false;
      const contains = a.parsed[0].match(b.parsed) && b.parsed[1] <= a.parsed[1];
      // Of two equal CIDRs keep the first.
      return contains && (b.cidr !== a.cidr || j < i);
    });
  });
}

export function checkNetwork(net: FirewallNetwork): { net: FirewallNetwork; subnets: Cidr[] } {
  checkNetId(net.id);
  checkIfname(net.bridge, `bridge name of network ${net.id}`);
  if (!["none", "internal", "strict"].includes(net.isolation)) {
    throw new TypeError(`network ${net.id}: invalid isolation ${JSON.stringify(net.isolation)}`);
  }
  return { net, subnets: checkSubnets(net.subnets, `network ${net.id}`) };
}

/** The element comment recording which attachment owns an address: `<containerId>/<ifname>[/<hostIfname>]`. */
export function elementComment(c: Pick<FirewallContainer, "containerId" | "ifname" | "hostIfname">): string {
  if (!CONTAINER_ID_RE.test(c.containerId)) {
    throw new TypeError(`invalid container id ${JSON.stringify(c.containerId)}`);
  }
  checkIfname(c.ifname, `ifname of container ${c.containerId}`);
  if (c.hostIfname !== undefined) checkIfname(c.hostIfname, `host ifname of container ${c.containerId}`);
  const comment = [commentOwnerId(c.containerId), c.ifname, ...(c.hostIfname === undefined ? [] : [c.hostIfname])].join(
    "/",
  );
  if (comment.length > MAX_COMMENT) {
    throw new RangeError(
      `container id ${c.containerId}: too long for an nftables comment (${comment.length} > ${MAX_COMMENT})`,
    );
  }
  return comment;
}

/** Container ids longer than this are written as "h.<sha256>" so a comment always fits 128 bytes. */
export const MAX_COMMENT_ID = 64;

/**
 * The container id as element comments carry it: itself when short (every runtime's 64-hex id),
 * else "h." and its sha256 (a 255-byte id is valid CNI but would not fit an nftables comment).
 * Compare a parsed comment's containerId with this, never with the raw id.
 */
export function commentOwnerId(containerId: string): string {
  if (containerId.length <= MAX_COMMENT_ID) return containerId;
  return `h.${createHash("sha256").update(containerId).digest("hex")}`;
}

export function parseElementComment(
  comment: string,
): { containerId: string; ifname: string; hostIfname?: string } | undefined {
  const parts = comment.split("/");
  const [containerId, ifname, hostIfname] = parts;
  if (parts.length < 2 || parts.length > 3 || containerId === undefined || ifname === undefined) return undefined;
  if (!CONTAINER_ID_RE.test(containerId) || !IFNAME_RE.test(ifname)) return undefined;
  return hostIfname === undefined ? { containerId, ifname } : { containerId, ifname, hostIfname };
}
