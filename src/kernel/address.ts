// Interface addresses (RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR).
import { AF, IFA, IFA_F, NLM_F, RTM, scopeName } from "./constants.js";
import { type Cidr, type Family, formatIp, ipv4Broadcast, parseCidr } from "./ip.js";
import { attrU32, MessageBuilder, type NetlinkMessage, parseAttrs } from "./netlink-message.js";
import { decodeIfAddr, encodeIfAddr, IFADDRMSG_LEN } from "./rtnl-headers.js";
import type { Address, AddressOptions, RtnlChannel } from "./types.js";

export function familyAf(f: Family): number {
  return f === 4 ? AF.INET : AF.INET6;
}

function addrRequest(type: number, flags: number, index: number, c: Cidr): MessageBuilder {
  return new MessageBuilder(type, flags)
    .header(encodeIfAddr({ family: familyAf(c.family), prefixLen: c.prefixLen, index }))
    .attr(IFA.LOCAL, c.bytes)
    .attr(IFA.ADDRESS, c.bytes);
}

/** Adds cidr ("10.0.0.2/24") to the link; IPv4 gets its broadcast address, as CNI plugins do. */
export function addAddress(ch: RtnlChannel, index: number, cidr: string, o: AddressOptions = {}): void {
  const c = parseCidr(cidr);
  const m = addrRequest(RTM.NEWADDR, NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL, index, c);
  if (c.family === 4 && c.prefixLen < 31) m.attr(IFA.BROADCAST, ipv4Broadcast(c));
  if (o.noDad) m.u32(IFA.FLAGS, IFA_F.NODAD);
  ch.call(m, "addAddress", `address ${cidr} on link ${index}`);
}

export function deleteAddress(ch: RtnlChannel, index: number, cidr: string): void {
  const m = addrRequest(RTM.DELADDR, NLM_F.ACK, index, parseCidr(cidr));
  ch.call(m, "deleteAddress", `address ${cidr} on link ${index}`);
}

export function listAddresses(ch: RtnlChannel, o: { index?: number; family?: Family } = {}): Address[] {
  const family = o.family === undefined ? AF.UNSPEC : familyAf(o.family);
  const m = new MessageBuilder(RTM.GETADDR, NLM_F.DUMP).header(encodeIfAddr({ family }));
  return ch
    .call(m, "listAddresses", "addresses")
    .filter((r) => r.type === RTM.NEWADDR)
    .map(decodeAddress)
    .filter((a): a is Address => a !== null && (o.index === undefined || a.index === o.index));
}

export function decodeAddress(msg: NetlinkMessage): Address | null {
  const h = decodeIfAddr(msg.body);
  if (h.family !== AF.INET && h.family !== AF.INET6) return null;
  const a = parseAttrs(msg.body, IFADDRMSG_LEN);
  // IFA_LOCAL is our own address; IFA_ADDRESS is the peer's on point-to-point links.
  const ip = a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS);
  if (!ip) return null;
  return {
    index: h.index,
    address: `${formatIp(ip)}/${h.prefixLen}`,
    family: h.family === AF.INET ? 4 : 6,
    scope: scopeName(h.scope),
    // IFA_FLAGS holds all 32 bits; the header's byte only the low 8.
    flags: attrU32(a, IFA.FLAGS) ?? h.flags,
  };
}
